"""Atomic writers: contract enforced, files readable by plain xarray, no half files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ContractError, InputError
from solvers.io import write_netcdf, write_zarr
from tests.solvers.test_contract import make_valid


def test_netcdf_roundtrip_with_plain_xarray(tmp_path: Path) -> None:
    ds = make_valid()
    ds["x"].values[:] = np.random.default_rng(0).normal(size=ds["x"].shape)
    path = write_netcdf(ds, tmp_path / "out.nc")
    with xr.open_dataset(path) as back:
        xr.testing.assert_identical(back.load(), ds)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.nc"]


def test_zarr_roundtrip_chunked_by_member(tmp_path: Path) -> None:
    ds = make_valid(n_member=5)
    path = write_zarr(ds, tmp_path / "out.zarr", member_chunk=2)
    back = xr.open_zarr(path)
    assert back["x"].chunks[0] == (2, 2, 1)
    xr.testing.assert_identical(back.load(), ds)


def test_strings_read_from_a_store_write_again(tmp_path: Path) -> None:
    ds = make_valid(n_member=3)
    ds["label"] = ("member", np.array(["a", "bb", "ccc"]), {"units": "1", "long_name": "label"})
    back = xr.open_zarr(write_zarr(ds, tmp_path / "one.zarr")).load()
    assert back["label"].encoding  # the stored codec travels with the variable
    wider = back.copy()
    wider["label"] = back["label"].copy(data=np.array(["x" * 40, "y", "z" * 9]))
    again = xr.open_zarr(write_zarr(wider, tmp_path / "two.zarr")).load()
    assert list(again["label"].values) == ["x" * 40, "y", "z" * 9]
    xr.testing.assert_equal(again["x"], ds["x"])


def test_invalid_dataset_is_not_written(tmp_path: Path) -> None:
    ds = make_valid()
    ds.attrs.clear()
    with pytest.raises(ContractError):
        write_netcdf(ds, tmp_path / "bad.nc")
    with pytest.raises(ContractError):
        write_zarr(ds, tmp_path / "bad.zarr")
    assert list(tmp_path.iterdir()) == []


def test_existing_target_needs_overwrite(tmp_path: Path) -> None:
    for writer, name in ((write_netcdf, "a.nc"), (write_zarr, "a.zarr")):
        writer(make_valid(), tmp_path / name)
        with pytest.raises(InputError, match="overwrite=True"):
            writer(make_valid(), tmp_path / name)
        changed = make_valid()
        changed["x"] = changed["x"] + 1
        writer(changed, tmp_path / name, overwrite=True)
        reopen = xr.open_zarr if name.endswith("zarr") else xr.open_dataset
        with reopen(tmp_path / name) as back:
            assert float(back["x"].max()) == 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.nc", "a.zarr"]


def test_missing_or_readonly_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        write_netcdf(make_valid(), tmp_path / "nope" / "a.nc")
    if os.geteuid() == 0:
        return  # root may write anywhere
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(InputError, match="not writable"):
        write_netcdf(make_valid(), locked / "a.nc")


def test_failure_during_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        Path(args[1] if len(args) > 1 else kwargs["path"]).write_bytes(b"partial")  # type: ignore[arg-type]
        raise OSError("disk full")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", explode)
    with pytest.raises(OSError, match="disk full"):
        write_netcdf(make_valid(), tmp_path / "a.nc")
    assert list(tmp_path.iterdir()) == []


_SLOW_WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import xarray as xr
    from solvers.contract import with_provenance
    from solvers.io import write_netcdf, write_zarr

    n = 400
    ds = xr.Dataset(
        {{f"v{{i}}": (("member", "time"), np.random.default_rng(i).normal(size=(n, 20000)),
                    {{"units": "1", "long_name": f"v{{i}}"}}) for i in range(12)}},
        coords={{"time": ("time", np.arange(20000.0), {{"units": "s"}})}},
    )
    ds = with_provenance(ds, backend="numpy", seed=0, config={{}})
    print("ready", flush=True)
    {writer}(ds, sys.argv[1])
    print("finished", flush=True)
    """
)


@pytest.mark.parametrize("writer, name", [("write_netcdf", "big.nc"), ("write_zarr", "big.zarr")])
def test_kill_mid_write_leaves_no_file_under_final_name(
    tmp_path: Path, writer: str, name: str
) -> None:
    """SIGKILL while a large write is under way: the final name never appears."""
    target = tmp_path / name
    script = tmp_path / "writer.py"
    script.write_text(_SLOW_WRITER.format(writer=writer))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with subprocess.Popen(
        [sys.executable, str(script), str(target)], stdout=subprocess.PIPE, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        partial: list[Path] = []
        while time.monotonic() < deadline and not partial:
            partial = [p for p in tmp_path.iterdir() if ".partial-" in p.name]
            time.sleep(0.005)
        assert partial, "the writer never started its temporary file"
        time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not target.exists()
