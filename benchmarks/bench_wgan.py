"""WGAN-GP training throughput: sciml.wgan versus a plain PyTorch loop.

Both train the same MLP generator and critic (``hidden`` units, ``depth``
hidden layers, leaky ReLU) on the same data with the same WGAN-GP step
(n_critic = 5, λ = 10, Adam β = (0.5, 0.9)), one intra-op thread. The
figure is training samples per second (critic minibatches × batch size per
second); the ratio sciml / plain must be at least 0.95: the tool adds no
overhead. The script also reports whether ``torch.compile`` helps the plain
loop on CPU.

Run ``python benchmarks/bench_wgan.py [--quick]``.
"""

from __future__ import annotations

import argparse
import itertools
import time
from typing import Any

import torch

from sciml.wgan import WGANGP, WGANConfig, gaussian_process_histories


def plain_loop(x: torch.Tensor, cfg: WGANConfig, compile_nets: bool = False) -> float:
    """A textbook WGAN-GP loop; returns the seconds it trains for ``cfg.n_iterations``."""
    torch.manual_seed(cfg.seed)
    n, t, c = x.shape
    flat = x.reshape(n, -1)

    def mlp(sizes: list[int]) -> torch.nn.Sequential:
        layers: list[Any] = []
        for a, b in itertools.pairwise(sizes):
            layers += [torch.nn.Linear(a, b), torch.nn.LeakyReLU(0.2)]
        return torch.nn.Sequential(*layers[:-1])

    gen = mlp([cfg.latent_dim] + [cfg.hidden] * cfg.depth + [t * c])
    critic = mlp([t * c] + [cfg.hidden] * cfg.depth + [1])
    g_fn, c_fn = (torch.compile(gen), torch.compile(critic)) if compile_nets else (gen, critic)
    betas = (cfg.adam_beta1, cfg.adam_beta2)
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr_generator, betas=betas)
    opt_c = torch.optim.Adam(critic.parameters(), lr=cfg.lr_critic, betas=betas)
    b = cfg.batch_size
    start = time.perf_counter()
    for _ in range(cfg.n_iterations):
        for _ in range(cfg.n_critic):
            real = flat[torch.randint(n, (b,))]
            with torch.no_grad():
                fake = g_fn(torch.randn(b, cfg.latent_dim))
            eps = torch.rand(b, 1)
            mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
            (grad,) = torch.autograd.grad(c_fn(mixed).sum(), mixed, create_graph=True)
            gp = cfg.gp_weight * ((grad.norm(dim=1) - 1) ** 2).mean()
            loss = c_fn(fake).mean() - c_fn(real).mean() + gp
            opt_c.zero_grad(set_to_none=True)
            loss.backward()
            opt_c.step()
        g_loss = -c_fn(g_fn(torch.randn(b, cfg.latent_dim))).mean()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
    return time.perf_counter() - start


def main(quick: bool) -> None:
    torch.set_num_threads(1)
    data = gaussian_process_histories(1024, seed=0)
    x = torch.as_tensor(data["displacement"].values.reshape(1024, 32, -1), dtype=torch.float32)
    cfg = WGANConfig(
        n_iterations=100 if quick else 500, patience=None, validation_fraction=0.0, hidden=128
    )
    samples = cfg.n_iterations * cfg.n_critic * cfg.batch_size
    plain_loop(x, cfg.replace(n_iterations=5))  # warm-up
    rows = []
    for _ in range(3):
        start = time.perf_counter()
        WGANGP(cfg).fit(data, threads=1)
        mine = time.perf_counter() - start
        peer = plain_loop(x, cfg)
        rows.append((samples / mine, samples / peer))
    best_mine = max(r[0] for r in rows)
    best_peer = max(r[1] for r in rows)
    print(f"WGAN-GP training, MLP {cfg.hidden}x{cfg.depth}, batch {cfg.batch_size}, 1 thread")
    print(f"  sciml.wgan  {best_mine:10.0f} samples/s (whole fit, incl. data checks)")
    print(f"  plain loop  {best_peer:10.0f} samples/s")
    print(f"  ratio sciml/plain {best_mine / best_peer:.3f} (must be >= 0.95)")
    try:
        compiled = plain_loop(x, cfg.replace(n_iterations=5), compile_nets=True)  # compile
        compiled = plain_loop(x, cfg, compile_nets=True)
        rate = samples / compiled
        print(f"  torch.compile plain loop {rate:10.0f} samples/s ({rate / best_peer:.2f}x)")
    except Exception as exc:  # report, do not fail: this is the question asked
        print(
            f"  torch.compile on CPU: not usable for the WGAN-GP step ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:160]})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    main(parser.parse_args().quick)
