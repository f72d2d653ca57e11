import numpy as np

from cytomoe.core.preprocessing.transform import arcsinh, inverse_arcsinh


def test_arcsinh_uses_each_channel_cofactor():
    values = np.array([[5.0, 150.0, 7.0]])
    out = arcsinh(values, ["a", "b", "c"], {"a": 5.0, "b": 150.0, "c": None})
    assert np.allclose(out, [[np.arcsinh(1.0), np.arcsinh(1.0), 7.0]])


def test_arcsinh_round_trip_within_float32_precision():
    rng = np.random.default_rng(0)
    values = rng.normal(0, 2000, size=(10_000, 3)).astype(np.float32)
    channels = ["a", "b", "c"]
    back = inverse_arcsinh(arcsinh(values, channels, 150.0), channels, 150.0)
    assert np.allclose(back, values, rtol=1e-5, atol=1e-3)


def test_no_transform_passes_values_through():
    values = np.array([[1.5, -2.0]], dtype=np.float32)
    assert np.array_equal(arcsinh(values, ["a", "b"], None), values)
