"""snnlib.interactive: the kernel-free widget of the map g (chapter "Deriving the mapping g")."""

import json
import re

import numpy as np
import pytest

import snnlib
from snnlib.interactive import ARROW_SCALE, g_field_frames, g_field_html


def test_frames_hold_the_steps_of_g_and_its_fixed_point_for_every_slider_value():
    d = g_field_frames(omegas=(-0.1, 0.1), taus=(0.95, 1.1), mu_grid=(-0.2, 0.0, 0.3), nu_grid=(0.8, 1.2), layers=3)
    assert len(d["frames"]) == 2 and all(len(row) == 2 for row in d["frames"])
    f = d["frames"][1][0]  # omega 0.1, tau 0.95
    for a, nu in enumerate(d["nu"]):
        for b, mu in enumerate(d["mu"]):
            m1, v1 = snnlib.mean_var_map(mu, nu, 0.1, 0.95)
            assert f["dmu"][a][b] == pytest.approx(float(m1) - mu, abs=1e-5)
            assert f["dnu"][a][b] == pytest.approx(float(v1) - nu, abs=1e-5)
    assert f["fixed"] == pytest.approx(list(snnlib.fixed_point(0.1, 0.95)), abs=1e-5)
    assert len(f["path"]) == 4 and f["path"][0] == pytest.approx([-0.35, 1.55])
    json.dumps(d)  # plain lists and floats only


@pytest.mark.parametrize("kwargs, name", [({"omegas": ()}, "omegas"), ({"omegas": (0.1, 0.0)}, "omegas"),
                                          ({"taus": (0.1,)}, "taus"), ({"nu_grid": (0.0, 1.0)}, "nu_grid"),
                                          ({"mu_grid": (float("nan"),)}, "mu_grid"), ({"layers": 0}, "layers")])
def test_frames_reject_bad_arguments_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        g_field_frames(**kwargs)


def test_html_is_self_contained_and_starts_at_omega_0_tau_1():
    d = g_field_frames()
    page = g_field_html(d, element_id="gf-1")
    assert 'id="gf-1"' in page and page.count("<script") == 2
    assert "src=" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    data = json.loads(re.search(r'<script type="application/json">(.*?)</script>', page, re.S).group(1))
    assert data == json.loads(json.dumps(d))
    omega = re.search(r'name="omega" min="0" max="(\d+)" step="1" value="(\d+)"', page)
    tau = re.search(r'name="tau" min="0" max="(\d+)" step="1" value="(\d+)"', page)
    assert d["omegas"][int(omega.group(2))] == 0.0 and d["taus"][int(tau.group(2))] == 1.0
    assert int(omega.group(1)) == len(d["omegas"]) - 1 and int(tau.group(1)) == len(d["taus"]) - 1
    assert '"gf-1"' in page and "__ID__" not in page and "__SCALE__" not in page
    assert f"{ARROW_SCALE:.0%}" in page
    assert np.isfinite(np.array(d["frames"][0][0]["dmu"])).all()
    for bad in ("1abc", "a b", "x<script>", ""):
        with pytest.raises(ValueError, match="element_id"):
            g_field_html(d, element_id=bad)
    with pytest.raises(ValueError, match="frames"):
        g_field_html({"omegas": [0.0], "taus": [1.0], "mu": [0.0], "nu": [1.0]})
