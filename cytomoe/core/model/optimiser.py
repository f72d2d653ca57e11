"""Adam, written out so that training never imports ``torch._dynamo``.

Every ``torch.optim`` optimiser wraps its methods in ``torch._disable_dynamo``, whose first
call imports the whole compiler stack (benchmarks/RESULTS.md, "Speed"). The update below is
``torch.optim.Adam``'s (no weight decay, no amsgrad), applied to all parameters at once
with the ``torch._foreach_*`` kernels, and gives the same weights to float rounding
(tests/test_model.py)."""

from collections.abc import Iterable

import torch


class Adam:
    """Adam over ``parameters``: ``zero_grad()`` then ``step()`` after each backward pass."""

    def __init__(
        self,
        parameters: Iterable[torch.nn.Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        self.parameters = [p for p in parameters if p.requires_grad]
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.steps = 0
        self.first_moments = [torch.zeros_like(p) for p in self.parameters]
        self.second_moments = [torch.zeros_like(p) for p in self.parameters]

    def zero_grad(self) -> None:
        for parameter in self.parameters:
            parameter.grad = None

    @torch.no_grad()
    def step(self) -> None:
        pairs = [(p, p.grad) for p in self.parameters if p.grad is not None]
        if not pairs:
            return
        indices = [i for i, p in enumerate(self.parameters) if p.grad is not None]
        parameters, grads = [p for p, _ in pairs], [g for _, g in pairs]
        first = [self.first_moments[i] for i in indices]
        second = [self.second_moments[i] for i in indices]
        self.steps += 1
        torch._foreach_lerp_(first, grads, 1.0 - self.beta1)
        torch._foreach_mul_(second, self.beta2)
        torch._foreach_addcmul_(second, grads, grads, 1.0 - self.beta2)
        step_size = self.lr / (1.0 - self.beta1**self.steps)
        correction = (1.0 - self.beta2**self.steps) ** 0.5
        denominators = torch._foreach_sqrt(second)
        torch._foreach_div_(denominators, correction)
        torch._foreach_add_(denominators, self.eps)
        torch._foreach_addcdiv_(parameters, first, denominators, -step_size)
