"""Butcher tableaus of the explicit Runge–Kutta methods in :mod:`gpu.ode`.

Coefficients from Dormand & Prince, "A family of embedded Runge-Kutta
formulae", J. Comput. Appl. Math. 6 (1980), and the continuous extension of
Hairer, Nørsett & Wanner, *Solving Ordinary Differential Equations I*, §II.6.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DOPRI5", "RK4", "Tableau"]


@dataclass(frozen=True)
class Tableau:
    """An explicit Runge–Kutta tableau with an optional embedded error estimate.

    Attributes
    ----------
    c : tuple of float
        Nodes.
    a : tuple of tuple of float
        Lower-triangular coefficients; row ``i`` has ``i`` entries.
    b : tuple of float
        Weights of the propagated solution.
    e : tuple of float
        ``b - b_hat``: weights of the local error estimate (empty if none).
    dense : tuple of float
        Coefficients of the continuous extension (empty if none).
    order : int
        Order of the propagated solution.
    """

    c: tuple[float, ...]
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    e: tuple[float, ...] = ()
    dense: tuple[float, ...] = ()
    order: int = 4


RK4 = Tableau(
    c=(0.0, 0.5, 0.5, 1.0),
    a=((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)),
    b=(1 / 6, 1 / 3, 1 / 3, 1 / 6),
    order=4,
)

#: Dormand–Prince 5(4) with FSAL (the 7th stage is f at the new point).
DOPRI5 = Tableau(
    c=(0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0),
    a=(
        (),
        (1 / 5,),
        (3 / 40, 9 / 40),
        (44 / 45, -56 / 15, 32 / 9),
        (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
        (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
        (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
    ),
    b=(35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0),
    e=(
        71 / 57600,
        0.0,
        -71 / 16695,
        71 / 1920,
        -17253 / 339200,
        22 / 525,
        -1 / 40,
    ),
    dense=(
        -12715105075 / 11282082432,
        0.0,
        87487479700 / 32700410799,
        -10690763975 / 1880347072,
        701980252875 / 199316789632,
        -1453857185 / 822651844,
        69997945 / 29380423,
    ),
    order=5,
)
