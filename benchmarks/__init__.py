"""chainrule's benchmarks against PyTorch, HIPS autograd, MyGrad, micrograd and
hand-written floats / numpy. Run ``python -m benchmarks [names...] [--quick]``."""
