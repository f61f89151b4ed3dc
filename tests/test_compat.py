"""The private NumPy APIs kept for speed still exist and still agree with the public ones."""

import numpy as np

from xorsweep._core import compat as _compat
from xorsweep.model.network import CLIP


def test_the_clip_ufunc_is_still_there():
    # if NumPy moves or removes it, training silently falls back on the slower np.clip
    assert _compat.FAST_CLIP
    assert isinstance(_compat.clip, np.ufunc)


def test_the_clip_ufunc_gives_np_clips_numbers_in_place():
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [
            rng.random(1000),
            [0.0, 1.0, CLIP, 1.0 - CLIP, 0.5e-15, 1.0 - 0.5e-15, -0.0, 1e-300, np.nextafter(1, 2)],
            [-np.inf, np.inf, np.nan, 5e-324, 2.0, -3.0],
        ]
    ).reshape(-1, 5)
    low, high = np.full((), CLIP), np.full((), 1.0 - CLIP)  # 0-d arrays, as training passes them
    out = np.empty_like(values)
    result = _compat.clip(values, low, high, out=out)
    assert result is out
    expected = np.clip(values, CLIP, 1.0 - CLIP)
    assert out.tobytes() == expected.tobytes()  # bit for bit, NaN included
