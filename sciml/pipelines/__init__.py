"""sciml.pipelines — end-to-end workflows that chain solvers, learners and Monte Carlo.

Each module is one workflow with a frozen configuration and a
``run(config) -> xarray.Dataset`` function, also named by run files
(``sciml run``) through its :class:`~sciml.ensemble.pipelines.Workflow`:

- :mod:`sciml.pipelines.fem_submodel` (``pipeline = "fem-submodel"``): global
  FEM ensemble, WGAN-GP on the zone's boundary histories, the FEM submodel
  driven by generated histories, compared with held-out global members.

Importing this package imports neither torch nor the FEM backends.
"""

__all__: list[str] = []
