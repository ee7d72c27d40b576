"""WGAN-GP for boundary histories: training, checkpoints, sampling, save and load.

Training (Gulrajani et al. 2017, "Improved training of Wasserstein GANs"):
for each generator update, ``n_critic`` critic updates minimize

.. math::

    L_C = \\mathbb{E}[C(\\tilde x)] - \\mathbb{E}[C(x)]
          + \\lambda\\,\\mathbb{E}\\big[(\\lVert\\nabla_{\\hat x} C(\\hat x)\\rVert_2 - 1)^2\\big],
    \\qquad \\hat x = \\epsilon x + (1 - \\epsilon)\\tilde x,\\ \\epsilon \\sim U(0, 1),

then the generator minimizes :math:`-\\mathbb{E}[C(G(z))]`. The negated
critic loss without the penalty, :math:`\\mathbb{E}[C(x)] - \\mathbb{E}[C(\\tilde x)]`,
is the critic's estimate of the Wasserstein-1 distance, shown on the
progress bar and kept in the loss curves.

Randomness: every draw (initial weights, minibatch indices, latent vectors,
interpolation weights) comes from one ``torch.Generator`` seeded with
``config.seed`` on the CPU and is moved to the device afterwards, so a run
is reproducible and does not read or advance torch's global generator. The
layers are built on the ``meta`` device for the same reason. On CPU a seed
fixes the result bit for bit; on CUDA the convolution kernels that cuDNN
picks may be non-deterministic unless the caller sets
``torch.backends.cudnn.deterministic = True`` (global torch state, left to
the caller).
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from gpu._optional import require
from gpu.errors import BackendUnavailable, ConfigError, InputError
from sciml.config import parse_config
from sciml.progress import progress_bar
from sciml.wgan._training import CURVES, Training, held_out_distance, history_scale, scale
from sciml.wgan.config import WGANConfig
from sciml.wgan.files import FORMAT, FORMAT_VERSION, data_digest, read, to_json, write_atomic
from sciml.wgan.layout import Layout, extract
from solvers.contract import package_version, with_provenance

__all__ = ["FORMAT", "FORMAT_VERSION", "WGANGP", "gradient_penalty"]

#: Members that one call of the generator produces at most when sampling.
_SAMPLE_CHUNK = 8192


def _torch() -> Any:
    return require("torch", "the WGAN-GP")


def gradient_penalty(critic: Any, real: Any, fake: Any, cond: Any, eps: Any, weight: float) -> Any:
    """The WGAN-GP gradient penalty on interpolates between real and generated histories.

    Parameters
    ----------
    critic : callable
        ``critic(x, cond)`` returning one score per history.
    real, fake : torch.Tensor, shape (batch, time, channel)
        Real and generated histories.
    cond : torch.Tensor, shape (batch, n_conditions)
        Their conditions.
    eps : torch.Tensor, shape (batch, 1, 1)
        Interpolation weights in [0, 1].
    weight : float
        The penalty weight λ.

    Returns
    -------
    torch.Tensor
        :math:`\\lambda\\,\\mathrm{mean}_i(\\lVert\\nabla_x C(\\hat x_i)\\rVert_2 - 1)^2`,
        differentiable with respect to the critic's parameters.
    """
    torch = _torch()
    mixed = (eps * real + (1.0 - eps) * fake).requires_grad_(True)
    score = critic(mixed, cond)
    (grad,) = torch.autograd.grad(score.sum(), mixed, create_graph=True)
    norm = grad.flatten(1).norm(dim=1)
    return weight * ((norm - 1.0) ** 2).mean()


@contextmanager
def _intra_op_threads(threads: int | None) -> Iterator[None]:
    """Set torch's intra-op thread count for a block and restore it afterwards."""
    if threads is None:
        yield
        return
    torch = _torch()
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _device(name: str) -> Any:
    torch = _torch()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise BackendUnavailable(
            f"device {name!r} was asked for but torch sees no CUDA GPU: use device='cpu' or 'auto'"
        )
    return torch.device(name)


class WGANGP:
    """A Wasserstein GAN with gradient penalty for boundary histories.

    Follows the scikit-learn estimator contract: ``__init__`` stores the
    configuration, :meth:`fit` validates the data, trains and returns
    ``self``; learned state ends in ``_``.

    Parameters
    ----------
    config : WGANConfig, optional
        Architecture and training settings (the defaults of :class:`WGANConfig`).

    Attributes
    ----------
    generator_ : torch.nn.Module
        The trained generator (standardized units).
    critic_ : torch.nn.Module
        The trained critic.
    layout_ : Layout
        Layout of the training histories, reproduced by :meth:`sample`.
    mean_, std_ : numpy.ndarray, shape (time, channel)
        Standardization of the histories (per time point and channel).
    cond_mean_, cond_std_ : numpy.ndarray, shape (n_conditions,)
        Standardization of the conditions.
    history_ : xarray.Dataset
        Loss curves over ``iteration`` (see :meth:`fit`).
    n_iterations_ : int
        Generator updates made.
    stopped_early_ : bool
        Whether early stopping ended the training.

    Examples
    --------
    >>> from sciml.wgan import WGANConfig, WGANGP, gaussian_process_histories
    >>> data = gaussian_process_histories(256, seed=0)
    >>> gan = WGANGP(WGANConfig(n_iterations=20, patience=None)).fit(data)  # doctest: +SKIP
    >>> gan.sample(10, seed=1)["displacement"].dims  # doctest: +SKIP
    ('member', 'time', 'node', 'component')
    """

    def __init__(self, config: WGANConfig | None = None) -> None:
        if config is not None and not isinstance(config, WGANConfig):
            raise ConfigError(f"config must be a WGANConfig, got {type(config).__name__}")
        self.config = config if config is not None else WGANConfig()

    # ------------------------------------------------------------------ training
    def _split(
        self, values: np.ndarray, cond: np.ndarray, validation: xr.Dataset | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        cfg = self.config
        if validation is not None:
            val_values, val_cond, val_layout = extract(validation, cfg.variable, cfg.conditions)
            self.layout_.check_matches(val_layout, "the validation Dataset")
            return values, cond, val_values, val_cond
        n_val = cfg.n_held_out(len(values))
        if n_val == 0:
            return values, cond, None, None
        order = np.random.default_rng(cfg.seed).permutation(len(values))
        held, kept = order[:n_val], order[n_val:]
        return values[kept], cond[kept], values[held], cond[held]

    def fit(
        self,
        data: xr.Dataset,
        *,
        validation: xr.Dataset | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_every: int = 100,
        resume: bool = False,
        progress: bool | None = None,
        threads: int | None = None,
    ) -> WGANGP:
        """Train on boundary histories.

        Parameters
        ----------
        data : xarray.Dataset
            Histories with dims ``(member, time, node, component)`` and the
            conditions of ``config.conditions`` along ``member``.
        validation : xarray.Dataset, optional
            Held-out histories for early stopping; by default
            ``config.validation_fraction`` of the members of ``data`` are held out.
        checkpoint : path-like, optional
            File that the training state is written to every
            ``checkpoint_every`` generator updates and at the end.
        checkpoint_every : int, default 100
            Generator updates between two checkpoints.
        resume : bool, default False
            Continue from ``checkpoint`` when it exists: the same data and
            configuration are needed, except ``n_iterations``, which may grow.
            The result equals that of one uninterrupted run (on CPU, bit for bit).
        progress : bool, optional
            Show a progress bar with the critic's Wasserstein estimate (by
            default only in a terminal).
        threads : int, optional
            Torch intra-op CPU threads during this call (torch's process-wide
            setting, restored on return); by default torch's setting is left
            alone. Small networks train fastest with 1 thread, and several
            threads on a loaded machine can be many times slower.

        Returns
        -------
        WGANGP
            ``self``, trained. With early stopping, the generator is the one
            with the lowest held-out sliced W2 distance.

        Raises
        ------
        ContractError, InputError
            Data in another layout, NaN, too few members for the batch size,
            or a checkpoint from another run.
        """
        if not (isinstance(checkpoint_every, int) and checkpoint_every >= 1):
            raise ConfigError(f"checkpoint_every must be an integer >= 1, got {checkpoint_every!r}")
        if resume and checkpoint is None:
            raise ConfigError("resume=True needs the checkpoint to resume from: pass checkpoint=")
        if threads is not None and not (isinstance(threads, int) and threads >= 1):
            raise ConfigError(f"threads must be an integer >= 1 or None, got {threads!r}")
        with _intra_op_threads(threads):
            return self._fit(data, validation, checkpoint, checkpoint_every, resume, progress)

    def _fit(
        self,
        data: xr.Dataset,
        validation: xr.Dataset | None,
        checkpoint: str | os.PathLike[str] | None,
        checkpoint_every: int,
        resume: bool,
        progress: bool | None,
    ) -> WGANGP:
        torch = _torch()
        cfg = self.config
        values, cond, layout = extract(data, cfg.variable, cfg.conditions)
        self.layout_ = layout
        train, train_cond, val, val_cond = self._split(values, cond, validation)
        if len(train) < cfg.batch_size:
            raise InputError(
                f"{len(train)} training members are too few for batch_size={cfg.batch_size}: "
                "lower batch_size or provide more members"
            )
        if cfg.output_modes is not None and cfg.output_modes > min(len(train), train[0].size):
            raise ConfigError(
                f"output_modes={cfg.output_modes} exceeds the {len(train)} training members or "
                f"the {train[0].size} time × channel entries: lower output_modes"
            )
        self.device_ = _device(cfg.device)
        dtype = getattr(torch, cfg.dtype)
        self.mean_, self.std_ = history_scale(train)
        self.cond_mean_, self.cond_std_ = scale(train_cond, 0)

        def tensor(array: np.ndarray) -> Any:
            return torch.as_tensor(array, dtype=dtype, device=self.device_)

        standardized = (train - self.mean_) / self.std_
        x = tensor(standardized)
        c = tensor((train_cond - self.cond_mean_) / self.cond_std_)
        state = Training(self, standardized, len(cfg.conditions))
        digest = data_digest(train, train_cond)
        path = Path(checkpoint) if checkpoint is not None else None
        if resume and path is not None and path.exists():
            self._resume(state, path, digest)
        evaluate = None
        if val is not None and val_cond is not None:
            evaluate = self._evaluator(state, val, val_cond, tensor)

        with progress_bar(cfg.n_iterations, "WGAN-GP", enabled=progress) as bar:
            bar.advance(state.iteration)
            while state.iteration < cfg.n_iterations and not self._patience_out(state):
                self._step(state, x, c)
                state.iteration += 1
                if evaluate is not None and state.iteration % cfg.eval_every == 0:
                    evaluate()
                else:
                    state.curves["validation_sliced_w2"].append(math.nan)
                if path is not None and state.iteration % checkpoint_every == 0:
                    self._checkpoint(state, path, digest)
                if state.iteration % 10 == 0 or state.iteration == cfg.n_iterations:
                    w = state.curves["wasserstein_estimate"][-1]
                    bar.describe(f"WGAN-GP (W estimate {w:.3g})")
                bar.advance()
        if path is not None:
            self._checkpoint(state, path, digest)
        self.stopped_early_ = self._patience_out(state)
        if state.best_state is not None:
            state.gen.load_state_dict(state.best_state)
        self.generator_, self.critic_ = state.gen.eval(), state.critic.eval()
        self.n_iterations_ = state.iteration
        self.history_ = self._curves(state.curves)
        return self

    def _patience_out(self, state: Training) -> bool:
        patience = self.config.patience
        return patience is not None and state.evaluations_since_best >= patience

    def _step(self, state: Training, x: Any, c: Any) -> None:
        """One generator update after ``n_critic`` critic updates."""
        torch = _torch()
        cfg, rng, dev = self.config, state.rng, self.device_
        n, batch = x.shape[0], cfg.batch_size

        def draw() -> tuple[Any, Any, Any]:
            idx = torch.randint(n, (batch,), generator=rng).to(dev)
            z = torch.randn(batch, cfg.latent_dim, generator=rng, dtype=x.dtype).to(dev)
            return idx, z, c[idx]

        w_sum = loss_sum = gp_sum = 0.0
        for _ in range(cfg.n_critic):
            idx, z, cond = draw()
            eps = torch.rand(batch, 1, 1, generator=rng, dtype=x.dtype).to(dev)
            real = x[idx]
            with torch.no_grad():
                fake = state.gen(z, cond)
            w = state.critic(real, cond).mean() - state.critic(fake, cond).mean()
            gp = gradient_penalty(state.critic, real, fake, cond, eps, cfg.gp_weight)
            loss = gp - w
            state.opt_c.zero_grad(set_to_none=True)
            loss.backward()
            state.opt_c.step()
            w_sum += w.item()
            loss_sum += loss.item()
            gp_sum += gp.item()
        _, z, cond = draw()
        g_loss = -state.critic(state.gen(z, cond), cond).mean()
        state.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        state.opt_g.step()
        k = cfg.n_critic
        for name, value in (
            ("wasserstein_estimate", w_sum / k),
            ("critic_loss", loss_sum / k),
            ("gradient_penalty", gp_sum / k),
            ("generator_loss", g_loss.item()),
        ):
            state.curves[name].append(value)

    def _evaluator(
        self, state: Training, val: np.ndarray, val_cond: np.ndarray, tensor: Any
    ) -> Any:
        """The held-out evaluation: :func:`_held_out_distance` of fixed latent draws."""
        torch = _torch()
        cfg = self.config
        cond = tensor((val_cond - self.cond_mean_) / self.cond_std_)
        fixed = torch.Generator().manual_seed(cfg.seed + 1)
        z = tensor(torch.randn(len(val), cfg.latent_dim, generator=fixed).numpy())

        def evaluate() -> None:
            with torch.no_grad():
                fake = state.gen(z, cond).double().cpu().numpy()
            score = held_out_distance(fake, val, self.mean_, self.std_, cfg)
            state.curves["validation_sliced_w2"].append(score)
            if score < state.best:
                state.best = score
                state.best_state = copy.deepcopy(state.gen.state_dict())
                state.evaluations_since_best = 0
            else:
                state.evaluations_since_best += 1

        return evaluate

    def _checkpoint(self, state: Training, path: Path, digest: str) -> None:
        write_atomic(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "kind": "checkpoint",
                "sciml_version": package_version(),
                "config": self.config.model_dump_json(),
                "data_digest": digest,
                "training": state.state(),
            },
            path,
        )

    def _resume(self, state: Training, path: Path, digest: str) -> None:
        payload = read(path, "checkpoint")
        if payload.get("kind") != "checkpoint":
            raise InputError(f"{path} is a saved generator, not a training checkpoint")
        stored = json.loads(payload["config"])
        wanted = self.config.model_dump(mode="json")
        changed = sorted(
            key
            for key in set(stored) | set(wanted)
            if key != "n_iterations" and stored.get(key) != wanted.get(key)
        )
        if changed:
            raise ConfigError(
                f"cannot resume from {path}: the configuration differs in {', '.join(changed)} "
                "(only n_iterations may change); use the same configuration or a new checkpoint"
            )
        if payload["data_digest"] != digest:
            raise InputError(
                f"cannot resume from {path}: it was trained on other data; "
                "resume with the same training Dataset or start a new checkpoint"
            )
        state.restore(payload["training"])

    def _curves(self, curves: Mapping[str, list[float]]) -> xr.Dataset:
        n = len(curves["generator_loss"])
        iteration = xr.Variable(
            "iteration", np.arange(1, n + 1), {"units": "1", "long_name": "generator update"}
        )
        ds = xr.Dataset(
            {
                name: xr.DataArray(
                    np.asarray(curves[name], dtype=np.float64),
                    dims="iteration",
                    attrs={"units": "1", "long_name": long_name},
                )
                for name, long_name in CURVES.items()
            },
            coords={"iteration": iteration},
        )
        validation = ds["validation_sliced_w2"].attrs
        if self.config.validation_units == "data":
            validation["units"] = self.layout_.attrs.get("units", "1")
        else:
            validation["long_name"] += " (standardized units)"
        return with_provenance(
            ds, backend=f"torch-{self.device_.type}", seed=self.config.seed, config=self.config
        )

    # ------------------------------------------------------------------ use
    def _check_fitted(self) -> None:
        if not hasattr(self, "generator_"):
            raise InputError("this WGANGP is not trained yet: call fit(data) or WGANGP.load(path)")

    def _conditions(self, n: int, conditions: Mapping[str, Any] | None) -> np.ndarray:
        names = self.layout_.conditions
        given = dict(conditions or {})
        missing = [name for name in names if name not in given]
        unknown = [name for name in given if name not in names]
        if missing or unknown:
            raise InputError(
                f"conditions must give exactly {list(names)}: "
                + ", ".join(
                    part
                    for part in (
                        f"missing {missing}" if missing else "",
                        f"unknown {unknown}" if unknown else "",
                    )
                    if part
                )
            )
        columns = []
        for name in names:
            value = np.asarray(given[name], dtype=np.float64)
            if value.ndim > 1 or (value.ndim == 1 and value.shape[0] != n):
                raise InputError(f"condition {name!r} must be a scalar or have {n} values")
            if not np.isfinite(value).all():
                raise InputError(f"condition {name!r} has NaN or infinite values")
            columns.append(np.broadcast_to(value, (n,)))
        return np.stack(columns, axis=1) if columns else np.empty((n, 0))

    def sample(
        self, n: int, *, seed: int = 0, conditions: Mapping[str, Any] | None = None
    ) -> xr.Dataset:
        """Generate ``n`` boundary histories.

        Parameters
        ----------
        n : int
            Number of histories (dim ``member``).
        seed : int, default 0
            Seed of the latent draws (a private ``torch.Generator``).
        conditions : mapping, optional
            A value (scalar, or one per member) for every conditioning parameter.

        Returns
        -------
        xarray.Dataset
            The histories in the training layout ``(member, time, node,
            component)``, with the training coordinates and attributes, the
            conditions as coordinates along ``member``, and provenance.
        """
        torch = _torch()
        self._check_fitted()
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ConfigError(f"n must be a positive integer, got {n!r}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ConfigError(f"seed must be an integer >= 0, got {seed!r}")
        n = int(n)
        cond = self._conditions(n, conditions)
        param = next(self.generator_.parameters())
        rng = torch.Generator().manual_seed(int(seed))
        z = torch.randn(n, self.config.latent_dim, generator=rng, dtype=param.dtype)
        c = torch.as_tensor((cond - self.cond_mean_) / self.cond_std_, dtype=param.dtype)
        parts = []
        with torch.no_grad():
            for start in range(0, n, _SAMPLE_CHUNK):
                stop = start + _SAMPLE_CHUNK
                out = self.generator_(
                    z[start:stop].to(param.device), c[start:stop].to(param.device)
                )
                parts.append(out.double().cpu().numpy())
        values = np.concatenate(parts) * self.std_ + self.mean_
        ds = self.layout_.to_dataset(values, cond)
        return with_provenance(
            ds, backend=f"torch-{param.device.type}", seed=int(seed), config=self.config
        )

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the trained generator, its standardization, layout and configuration.

        Parameters
        ----------
        path : path-like
            File to write (replaced atomically).

        Returns
        -------
        pathlib.Path
            The file written.
        """
        torch = _torch()
        self._check_fitted()
        target = Path(path)
        write_atomic(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "kind": "generator",
                "sciml_version": package_version(),
                "config": self.config.model_dump_json(),
                "layout": to_json(self.layout_.to_dict()),
                "generator": {k: v.cpu() for k, v in self.generator_.state_dict().items()},
                "standardization": {
                    name: torch.as_tensor(getattr(self, name))
                    for name in ("mean_", "std_", "cond_mean_", "cond_std_")
                },
                "n_iterations": self.n_iterations_,
            },
            target,
        )
        return target

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        like: xr.Dataset | None = None,
        device: str | None = None,
    ) -> WGANGP:
        """Read a generator written by :meth:`save`.

        Parameters
        ----------
        path : path-like
            The file.
        like : xarray.Dataset, optional
            Boundary histories the generator must match (same variable,
            nodes, components, time points and conditions).
        device : str, optional
            Device to load onto (the saved configuration's by default).

        Returns
        -------
        WGANGP
            A model ready to :meth:`sample` (it has no critic and cannot resume training).

        Raises
        ------
        InputError
            Not a sciml WGAN file, a file from an incompatible version, or a
            generator for another boundary than ``like``.
        """
        from sciml.wgan._nets import build

        torch = _torch()
        payload = read(path, "generator file")
        if payload.get("kind") != "generator":
            raise InputError(f"{path} is a training checkpoint: load it with fit(resume=True)")
        config = parse_config(WGANConfig, json.loads(payload["config"]), where=str(path))
        if device is not None:
            config = config.replace(device=device)
        model = cls(config)
        model.layout_ = Layout.from_dict(json.loads(payload["layout"]))
        if like is not None:
            _, _, layout = extract(like, config.variable, config.conditions)
            model.layout_.check_matches(layout, "the Dataset given as like=")
        for name, value in payload["standardization"].items():
            setattr(model, name, value.numpy())
        model.device_ = _device(config.device)
        gen, _ = build(
            config,
            model.layout_.n_time,
            model.layout_.n_channels,
            len(config.conditions),
            torch.Generator().manual_seed(0),
        )
        gen.load_state_dict(payload["generator"])
        model.generator_ = gen.to(model.device_).eval()
        model.n_iterations_ = int(payload["n_iterations"])
        return model
