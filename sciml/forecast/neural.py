"""Neural forecasters in torch: N-BEATS, LSTM, Transformer and a neural ODE.

Every network maps a window of the last ``lookback`` (standardized) states
to the offsets of the next ``chunk`` states from the last one; forecasts
roll forward chunk by chunk, batched over members. :class:`NeuralODE`
instead learns a vector field, advanced by RK4 over one sampling interval
and trained on ``unroll``-step rollouts.

Training: Adam on the mean squared error over all windows of the training
series, ``epochs`` passes in shuffled mini-batches. Initial weights and
shuffling come from ``seed`` (torch's global random state is forked and
restored, never changed). Learned weights are kept as one flat float64
vector ``weights_`` so that :meth:`~sciml.forecast.base.Forecaster.save`
needs no pickle. torch is imported on first use (``pip install 'sciml[torch]'``).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import numpy as np

from gpu._optional import require
from gpu.errors import ConfigError
from sciml.forecast.base import Forecaster, check_float, check_int

__all__ = ["LSTMForecaster", "NBeats", "NeuralODE", "TransformerForecaster"]


def _torch() -> Any:
    return require("torch", "the neural forecasters")


class TorchForecaster(Forecaster):
    """Window-to-chunk torch forecaster: the shared training and forecasting loop.

    Parameters
    ----------
    lookback : int
        Window length (context points used per step).
    chunk : int
        States predicted per network call.
    epochs : int
        Passes over the training windows.
    batch_size : int
        Windows per optimizer step.
    lr : float
        Adam learning rate.
    seed : int, optional
        Seeds the initial weights, the shuffling and ensemble perturbations.
    """

    def __init__(
        self,
        *,
        lookback: int = 32,
        chunk: int = 1,
        epochs: int = 30,
        batch_size: int = 64,
        lr: float = 1e-3,
        seed: int | None = 0,
    ) -> None:
        super().__init__(seed=seed)
        self.lookback = lookback
        self.chunk = chunk
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr

    def _validate(self) -> None:
        check_int("lookback", self.lookback)
        check_int("chunk", self.chunk)
        check_int("epochs", self.epochs)
        check_int("batch_size", self.batch_size)
        check_float("lr", self.lr, 0.0, inclusive=False)

    def _span(self) -> tuple[int, int]:
        """Window length and states per network call."""
        return int(self.lookback), int(self.chunk)

    @property
    def min_context(self) -> int:
        """Fewest context points: one window."""
        return self._span()[0]

    def _min_train(self) -> int:
        return sum(self._span())

    @abstractmethod
    def _network(self, n_components: int) -> Any:
        """The torch module mapping a window to the next ``chunk`` states."""

    def _windows(self, series: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Inputs ``(n, lookback, dim)`` and target offsets ``(n, chunk, dim)``."""
        xs, ys = [], []
        lookback, chunk = self._span()
        for s in series:
            idx = np.arange(len(s) - lookback - chunk + 1)[:, None] + np.arange(lookback + chunk)
            w = s[idx]
            xs.append(w[:, :lookback])
            ys.append(w[:, lookback:] - w[:, lookback - 1 : lookback])
        return np.concatenate(xs), np.concatenate(ys)

    def _loss(self, net: Any, x: Any, y: Any) -> Any:
        return ((net(x) - y) ** 2).mean()

    def _fit(self, series: list[np.ndarray]) -> None:
        torch = _torch()
        x_np, y_np = self._windows(series)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(np.random.SeedSequence(self.seed).generate_state(1)[0]))
            net = self._network(series[0].shape[1])
            x, y = (
                torch.as_tensor(x_np, dtype=torch.float32),
                torch.as_tensor(y_np, dtype=torch.float32),
            )
            opt = torch.optim.Adam(net.parameters(), lr=self.lr)
            losses = []
            for _ in range(self.epochs):
                order = torch.randperm(len(x))
                total = 0.0
                for start in range(0, len(x), self.batch_size):
                    batch = order[start : start + self.batch_size]
                    opt.zero_grad()
                    loss = self._loss(net, x[batch], y[batch])
                    loss.backward()
                    opt.step()
                    total += float(loss.detach()) * len(batch)
                losses.append(total / len(x))
        self.loss_ = np.asarray(losses)
        vector = torch.nn.utils.parameters_to_vector(net.parameters())
        self.weights_ = vector.detach().numpy().astype(np.float64)

    def _trained(self) -> Any:
        torch = _torch()
        net = self._network(int(self.n_components_))
        weights = torch.as_tensor(self.weights_, dtype=torch.float32)
        torch.nn.utils.vector_to_parameters(weights, net.parameters())
        return net.eval()

    def _predict(self, context: np.ndarray, horizon: int, rng: np.random.Generator) -> np.ndarray:
        torch = _torch()
        net = self._trained()
        lookback = self._span()[0]
        window = torch.as_tensor(context[:, -lookback:], dtype=torch.float32)
        parts = []
        with torch.no_grad():
            done = 0
            while done < horizon:
                nxt = window[:, -1:] + net(window)
                parts.append(nxt)
                window = torch.cat([window, nxt], dim=1)[:, -lookback:]
                done += nxt.shape[1]
        out = torch.cat(parts, dim=1)[:, :horizon]
        return np.asarray(out.numpy(), dtype=np.float64)


class NBeats(TorchForecaster):
    """N-BEATS-style forecaster (Oreshkin et al. 2020), generic blocks.

    Each block is an MLP on the residual of the flattened window giving a
    backcast (subtracted from the residual) and a forecast (summed over
    blocks) of the next ``chunk`` offsets.

    Parameters
    ----------
    lookback : int, default 50
        Window length.
    chunk : int, default 10
        States per forecast block.
    width : int, default 128
        Hidden units per layer.
    blocks : int, default 3
        Residual blocks.
    layers : int, default 2
        Hidden layers per block.
    epochs, batch_size, lr, seed
        As in :class:`TorchForecaster`.
    """

    name = "nbeats"

    def __init__(
        self,
        *,
        lookback: int = 50,
        chunk: int = 10,
        width: int = 128,
        blocks: int = 3,
        layers: int = 2,
        epochs: int = 30,
        batch_size: int = 64,
        lr: float = 1e-3,
        seed: int | None = 0,
    ) -> None:
        super().__init__(
            lookback=lookback, chunk=chunk, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed
        )
        self.width = width
        self.blocks = blocks
        self.layers = layers

    def _validate(self) -> None:
        super()._validate()
        check_int("width", self.width)
        check_int("blocks", self.blocks)
        check_int("layers", self.layers)

    def _network(self, n_components: int) -> Any:
        torch = _torch()
        nn = torch.nn
        n_in, n_out = self.lookback * n_components, self.chunk * n_components
        chunk = self.chunk

        class Block(nn.Module):  # type: ignore[name-defined]
            def __init__(self, width: int, layers: int) -> None:
                super().__init__()
                mods: list[Any] = []
                size = n_in
                for _ in range(layers):
                    mods += [nn.Linear(size, width), nn.ReLU()]
                    size = width
                self.body = nn.Sequential(*mods)
                self.back = nn.Linear(width, n_in)
                self.fore = nn.Linear(width, n_out)

            def forward(self, x: Any) -> tuple[Any, Any]:
                h = self.body(x)
                return self.back(h), self.fore(h)

        class Net(nn.Module):  # type: ignore[name-defined]
            def __init__(self, width: int, blocks: int, layers: int) -> None:
                super().__init__()
                self.blocks = nn.ModuleList([Block(width, layers) for _ in range(blocks)])

            def forward(self, window: Any) -> Any:
                last = window[:, -1:]
                residual = (window - last).reshape(len(window), -1)
                total: Any = 0.0
                for block in self.blocks:
                    back, fore = block(residual)
                    residual = residual - back
                    total = total + fore
                return total.reshape(len(window), chunk, -1)

        return Net(self.width, self.blocks, self.layers)


class LSTMForecaster(TorchForecaster):
    """LSTM over the window; a linear head on the last hidden state gives the next offsets.

    Parameters
    ----------
    lookback : int, default 32
        Window length.
    chunk : int, default 1
        States per network call.
    hidden : int, default 64
        Hidden units.
    layers : int, default 1
        Stacked LSTM layers.
    epochs, batch_size, lr, seed
        As in :class:`TorchForecaster`.
    """

    name = "lstm"

    def __init__(
        self,
        *,
        lookback: int = 32,
        chunk: int = 1,
        hidden: int = 64,
        layers: int = 1,
        epochs: int = 30,
        batch_size: int = 64,
        lr: float = 3e-3,
        seed: int | None = 0,
    ) -> None:
        super().__init__(
            lookback=lookback, chunk=chunk, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed
        )
        self.hidden = hidden
        self.layers = layers

    def _validate(self) -> None:
        super()._validate()
        check_int("hidden", self.hidden)
        check_int("layers", self.layers)

    def _network(self, n_components: int) -> Any:
        torch = _torch()
        nn = torch.nn
        chunk = self.chunk

        class Net(nn.Module):  # type: ignore[name-defined]
            def __init__(self, hidden: int, layers: int) -> None:
                super().__init__()
                self.lstm = nn.LSTM(n_components, hidden, layers, batch_first=True)
                self.head = nn.Linear(hidden, chunk * n_components)

            def forward(self, window: Any) -> Any:
                out, _ = self.lstm(window)
                return self.head(out[:, -1]).reshape(len(window), chunk, n_components)

        return Net(self.hidden, self.layers)


class TransformerForecaster(TorchForecaster):
    """A small Transformer encoder over the window (learned positions); the last token's
    output gives the next offsets.

    Parameters
    ----------
    lookback : int, default 32
        Window length.
    chunk : int, default 1
        States per network call.
    d_model : int, default 32
        Embedding width.
    heads : int, default 4
        Attention heads (must divide ``d_model``).
    layers : int, default 2
        Encoder layers.
    epochs, batch_size, lr, seed
        As in :class:`TorchForecaster`.
    """

    name = "transformer"

    def __init__(
        self,
        *,
        lookback: int = 32,
        chunk: int = 1,
        d_model: int = 32,
        heads: int = 4,
        layers: int = 2,
        epochs: int = 30,
        batch_size: int = 64,
        lr: float = 1e-3,
        seed: int | None = 0,
    ) -> None:
        super().__init__(
            lookback=lookback, chunk=chunk, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed
        )
        self.d_model = d_model
        self.heads = heads
        self.layers = layers

    def _validate(self) -> None:
        super()._validate()
        check_int("d_model", self.d_model)
        check_int("heads", self.heads)
        check_int("layers", self.layers)
        if self.d_model % self.heads:
            raise ConfigError(f"heads ({self.heads}) must divide d_model ({self.d_model})")

    def _network(self, n_components: int) -> Any:
        torch = _torch()
        nn = torch.nn
        chunk, lookback = self.chunk, self.lookback

        class Net(nn.Module):  # type: ignore[name-defined]
            def __init__(self, d_model: int, heads: int, layers: int) -> None:
                super().__init__()
                self.embed = nn.Linear(n_components, d_model)
                self.position = nn.Parameter(torch.zeros(1, lookback, d_model))
                layer = nn.TransformerEncoderLayer(
                    d_model, heads, dim_feedforward=2 * d_model, dropout=0.0, batch_first=True
                )
                self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
                self.head = nn.Linear(d_model, chunk * n_components)

            def forward(self, window: Any) -> Any:
                h = self.encoder(self.embed(window - window[:, -1:]) + self.position)
                return self.head(h[:, -1]).reshape(len(window), chunk, n_components)

        return Net(self.d_model, self.heads, self.layers)


class NeuralODE(TorchForecaster):
    """Neural ODE: an MLP vector field advanced by RK4 over each sampling interval.

    Trained on ``unroll``-step rollouts from every training state (time in
    units of the sampling interval, states standardized).

    Parameters
    ----------
    hidden : int, default 64
        Hidden units per layer of the vector field.
    layers : int, default 2
        Hidden layers.
    unroll : int, default 4
        Steps of each training rollout.
    substeps : int, default 1
        RK4 steps per sampling interval.
    epochs, batch_size, lr, seed
        As in :class:`TorchForecaster`.
    """

    name = "neural_ode"

    def __init__(
        self,
        *,
        hidden: int = 64,
        layers: int = 2,
        unroll: int = 4,
        substeps: int = 1,
        epochs: int = 30,
        batch_size: int = 64,
        lr: float = 3e-3,
        seed: int | None = 0,
    ) -> None:
        Forecaster.__init__(self, seed=seed)
        self.hidden = hidden
        self.layers = layers
        self.unroll = unroll
        self.substeps = substeps
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr

    def _span(self) -> tuple[int, int]:
        return 1, int(self.unroll)

    def _validate(self) -> None:
        for name in ("hidden", "layers", "unroll", "substeps", "epochs", "batch_size"):
            check_int(name, getattr(self, name))
        check_float("lr", self.lr, 0.0, inclusive=False)

    def _network(self, n_components: int) -> Any:
        torch = _torch()
        nn = torch.nn
        unroll, substeps = self.unroll, self.substeps

        class Net(nn.Module):  # type: ignore[name-defined]
            def __init__(self, hidden: int, layers: int) -> None:
                super().__init__()
                mods: list[Any] = []
                size = n_components
                for _ in range(layers):
                    mods += [nn.Linear(size, hidden), nn.Tanh()]
                    size = hidden
                self.field = nn.Sequential(*mods, nn.Linear(size, n_components))

            def step(self, y: Any) -> Any:
                h = 1.0 / substeps
                for _ in range(substeps):
                    k1 = self.field(y)
                    k2 = self.field(y + 0.5 * h * k1)
                    k3 = self.field(y + 0.5 * h * k2)
                    k4 = self.field(y + h * k3)
                    y = y + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
                return y

            def forward(self, window: Any) -> Any:
                y0 = window[:, -1]
                y, path = y0, []
                for _ in range(unroll):
                    y = self.step(y)
                    path.append(y - y0)
                return torch.stack(path, dim=1)

        return Net(self.hidden, self.layers)
