"""``xorsweep fit`` on a grid: a row per slice (fit_slices), or --surface (fit_surface)."""

import json

import numpy as np
import pytest
import xarray as xr

import xorsweep as xs
from xorsweep import cli
from xorsweep.cli.grid_fits import slice_records, surface_record
from xorsweep.model.initialization import INIT_RULES
from xorsweep.studies.report import json_ready

FAST = ["--n-boot", "60"]


@pytest.fixture(scope="module")
def grid_store(tmp_path_factory):
    """Results over hidden_std, lr (2 values) and hidden (2 widths)."""
    path = tmp_path_factory.mktemp("grid") / "g.zarr"
    xs.sweep(np.geomspace(0.2, 5.0, 8), runs=24, epochs=300, lr=[0.5, 1.0], hidden=[2, 3],
             store=path, progress=False, workers=1, engine="numpy")  # fmt: skip
    return path


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def _plain(value):
    return json.loads(json.dumps(json_ready(value)))


def test_a_row_per_slice_with_the_rules(grid_store, capsys):
    status = cli.main(["fit", str(grid_store), *FAST])
    out = capsys.readouterr().out
    fits = xs.fit_slices(xs.open_results(grid_store), n_boot=60, rng=0)
    assert status == 0  # the fits ran, whatever they found
    table = [line for line in out.splitlines() if line.startswith("| ")]
    header = table[0].strip("| ").split(" | ")
    assert header[:3] == ["lr", "hidden", "optimum [95% CI]"]
    assert header[3:] == list(INIT_RULES)
    assert len(table) == 1 + 4  # a row per (lr, hidden)
    first = fits.isel(lr=0, hidden=0)
    cells = table[1].strip("| ").split(" | ")
    assert cells[:2] == ["0.5", "2"]
    said = cells[2].strip()
    assert (
        said.startswith(f"{float(first.optimum):.4g} [")
        if bool(first.ok)
        else said == ("no optimum")
    )
    glorot = first.sel(rule="glorot_normal")
    assert cells[3].startswith(f"{float(glorot.rule_std):.4g} ")
    assert ("in" if abs(float(glorot.rule_distance)) <= 1 else "out") in cells[3].split()
    for record in slice_records(fits):
        if not record["ok"]:
            assert f"lr={record['lr']:g}, hidden={record['hidden']}: {record['reason']}" in out


def test_the_slices_as_json(grid_store, tmp_path, capsys):
    path = tmp_path / "slices.json"
    status = cli.main(["fit", str(grid_store), "--json", str(path), *FAST])
    assert f"wrote {path}" in capsys.readouterr().out
    doc = json.loads(path.read_text())
    fits = xs.fit_slices(xs.open_results(grid_store), n_boot=60, rng=0)
    assert doc["slices"] == _plain(slice_records(fits)) and doc["dims"] == ["lr", "hidden"]
    assert doc["settings"]["n_boot"] == 60 and doc["settings"]["confidence"] == 0.95
    assert doc["store"] == str(grid_store) and doc["selection"] == {}
    assert status == 0
    for record in doc["slices"]:  # no optimum: no number
        if not record["ok"]:
            assert record["optimum"] is record["optimum_low"] is record["optimum_high"] is None
    assert cli.main(["fit", str(grid_store), "--json", "-", *FAST]) == status
    assert _json(capsys) == doc


def test_select_leaves_the_other_dimensions_to_the_slices(grid_store, capsys):
    cli.main(["fit", str(grid_store), "--select", "hidden=3", "--json", "-", *FAST])
    doc = _json(capsys)
    assert doc["selection"] == {"hidden": 3} and doc["dims"] == ["lr"]
    ds = xs.open_results(grid_store).sel(hidden=3)
    assert doc["slices"] == _plain(slice_records(xs.fit_slices(ds, n_boot=60, rng=0)))
    assert cli.main(["fit", str(grid_store), "--select", "hidden=4", *FAST]) == 2
    assert "--select hidden=4: the store's hidden values are 2, 3" in capsys.readouterr().err


def test_names_are_selected_exactly(tmp_path, capsys):
    path = tmp_path / "a.zarr"
    xs.sweep([0.5, 1.0, 2.0], runs=4, epochs=50, activation=["sigmoid", "tanh"], store=path,
             progress=False, workers=1, engine="numpy")  # fmt: skip
    out = tmp_path / "figs"
    assert cli.main(["figures", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "dimension activation (sigmoid, tanh): choose one slice with --select activation" in err
    assert cli.main(["fit", str(path), "--select", "activation=relu", *FAST]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "xorsweep fit: error: --select activation=relu: the store's activation values are "
        "sigmoid, tanh"
    )
    argv = ["fit", str(path), "--select", "activation=tanh", "--json", "-", "--plateau-runs", "8"]
    cli.main([*argv, *FAST])  # one slice: the article's fit and claims
    assert _json(capsys)["selection"] == {"activation": "tanh"}


def test_surface_refuses_a_store_without_output_stds(grid_store, capsys):
    assert cli.main(["fit", str(grid_store), "--surface", *FAST]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"xorsweep fit: error: --surface needs a store with an output_std dimension of 3 "
        f"values or more (made by xorsweep sweep --output-std MIN:MAX:N); {grid_store} has the "
        "dimensions hidden_std, lr, hidden, run"
    ]


def test_surface_asks_to_select_the_other_dimensions(tmp_path, capsys):
    path = tmp_path / "o.zarr"
    xs.sweep([0.5, 1.0, 2.0], runs=4, epochs=50, output_std=[0.5, 1.0, 2.0], lr=[0.1, 0.2],
             store=path, progress=False, workers=1, engine="numpy")  # fmt: skip
    assert cli.main(["fit", str(path), "--surface", *FAST]) == 2
    err = capsys.readouterr().err
    assert "dimension lr (0.1, 0.2): choose one slice with --select lr=VALUE" in err
    argv = ["fit", str(path), "--surface", "--select", "output_std=1", "--select", "lr=0.1"]
    assert cli.main([*argv, *FAST]) == 2
    assert f"{path} after --select has the dimensions hidden_std, run" in capsys.readouterr().err
    # selected: fitted, and 3 x 3 points of 4 runs are too few: the reason printed, exit 0
    assert cli.main(["fit", str(path), "--surface", "--select", "lr=0.2", *FAST]) == 0
    out = capsys.readouterr().out
    fit = xs.fit_surface(xs.open_results(path).sel(lr=0.2), n_boot=60, errors="ignore")
    assert out == repr(fit) + "\n" and not fit.ok


def _planted_surface() -> xr.Dataset:
    """A bowl lowest at hidden std 0.6, output std 1.5, with gamma noise over runs."""
    rng = np.random.default_rng(0)
    h, o = np.geomspace(0.2, 2.0, 11), np.geomspace(0.5, 5.0, 11)
    dh, do = np.log(h / 0.6)[:, None], np.log(o / 1.5)[None, :]
    truth = 1000 + 400 * dh**2 + 200 * dh * do + 300 * do**2
    loss = truth[..., None] * rng.gamma(4.0, 0.25, size=(11, 11, 200))
    dims = ("hidden_std", "output_std", "run")
    return xr.Dataset({"total_loss": (dims, loss)}, coords={"hidden_std": h, "output_std": o})


def test_surface_prints_the_joint_optimum_region_and_rules(monkeypatch, tmp_path, capsys):
    planted = _planted_surface()
    monkeypatch.setattr(cli, "_open", lambda path, selections, keep=(): planted)
    path = tmp_path / "surface.json"
    argv = ["fit", "planted.zarr", "--surface", "--degree", "2", "--json", str(path), *FAST]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    fit = xs.fit_surface(planted, degree=2, n_boot=60, rng=0)
    assert out.startswith(repr(fit) + "\n") and "Glorot's pair (0.7071, " in out
    hidden, output = fit.region_boundary()
    assert (
        f"95% confidence region: an ellipse in the log stds, hidden std {hidden.min():.4g} to "
        f"{hidden.max():.4g}, output std {output.min():.4g} to {output.max():.4g}"
    ) in out
    rows = {line.split(" | ")[0].strip("| "): line for line in out.splitlines() if "|" in line}
    assert set(INIT_RULES) <= set(rows)
    glorot = fit.rules.sel(rule="glorot_normal")
    inside = fit.contains(float(glorot.hidden_std), float(glorot.output_std))
    assert rows["glorot_normal"].endswith("| yes |" if bool(inside) else "| no |")
    doc = json.loads(path.read_text())
    assert doc["surface"] == _plain(surface_record(fit))
    assert doc["surface"]["ok"] is True and len(doc["surface"]["region_boundary"]["hidden_std"]) > 2
