"""The homework's two problems, computed exactly by chainrule (``make demo``)."""

import math

import numpy as np

import chainrule as cr

print("Problem 1: f = 1/(2 + sin(x1*w1)**2 + cos(x2*w2)) at x1 = x2 = pi/2, w1 = w2 = 1")
x1, w1 = cr.Scalar(math.pi / 2, "x1"), cr.Scalar(1.0, "w1")
x2, w2 = cr.Scalar(math.pi / 2, "x2"), cr.Scalar(1.0, "w2")
f = 1 / (2 + cr.sin(x1 * w1) ** 2 + cr.cos(x2 * w2))
f.backward()
print(f"  f = {f.value:.10g}")
for v in (x1, w1, x2, w2):
    print(f"  df/d{v.name} = {v.grad:.10g}")

print("\nProblem 2: f = ||sigmoid(W x)||^2 with W = I, x = [1, 2, 3]^T (the homework's numpy code)")
W = cr.tensor(np.eye(3), requires_grad=True, name="W")
x = cr.tensor([[1.0], [2.0], [3.0]], requires_grad=True, name="x")
f2 = np.linalg.norm(1 / (np.exp(-np.dot(W, x)) + 1), ord=2) ** 2
f2.backward()
print(f"  f = {f2.item():.16g}")
print("  df/dW =\n" + np.array2string(W.grad, precision=6, prefix="  "))
print("  df/dx =", np.array2string(x.grad.ravel(), precision=6))
print("  gradcheck:", cr.gradcheck(
    lambda W, x: cr.sum(cr.sigmoid(W @ x) ** 2), np.eye(3), [[1.0], [2.0], [3.0]]))
