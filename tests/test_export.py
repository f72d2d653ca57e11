import numpy as np
import pandas as pd
import pytest

from cytomoe.core.errors import OutputExistsError
from cytomoe.core.io.export import (
    cluster_file_stem,
    cluster_name_keywords,
    write_csv,
    write_fcs,
)
from cytomoe.core.io.fcs import read_fcs


def test_export_round_trip_is_bit_exact_with_added_columns(shared_data, tmp_path):
    (sample,) = read_fcs(shared_data / "labeled/flowsom_68983/68983.fcs")
    frame = sample.to_frame()
    frame["cluster"] = np.arange(sample.n_events) % 7
    out = write_fcs(
        tmp_path / "out.fcs",
        frame,
        markers=dict(zip(sample.channels, sample.markers, strict=True)),
        keywords=sample.keywords,
    )
    (back,) = read_fcs(out)
    assert back.channels == sample.channels + ["cluster"]
    assert back.markers[sample.channels.index("PE-Cy7-A")] == "CD3"
    assert np.array_equal(back.events, frame.to_numpy(np.float32))
    assert back.keywords["cytomoe_version"]
    assert back.spillover is not None


def test_export_of_a_mask_keeps_only_those_events(shared_data, tmp_path):
    (sample,) = read_fcs(shared_data / "plates/yeast/Yeast_B1_B01.fcs")
    frame = sample.to_frame()
    mask = frame["FITC-A"] > frame["FITC-A"].median()
    (back,) = read_fcs(write_fcs(tmp_path / "high.fcs", frame[mask]))
    assert np.array_equal(back.events, frame[mask].to_numpy(np.float32))


def test_export_refuses_to_overwrite_and_leaves_the_file_alone(tmp_path):
    target = tmp_path / "keep.fcs"
    target.write_bytes(b"precious")
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(OutputExistsError):
        write_fcs(target, frame)
    assert target.read_bytes() == b"precious"
    write_fcs(target, frame, overwrite=True)
    assert read_fcs(target)[0].n_events == 2


def test_failed_export_leaves_no_partial_file(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(Exception, match="no column"):
        write_fcs(tmp_path / "x.fcs", frame, channels=["a", "missing"])
    assert list(tmp_path.iterdir()) == []


def test_export_over_99_999_999_bytes_re_reads_bit_exact(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.normal(size=(1_260_000, 20)).astype(np.float32), columns=[f"c{i}" for i in range(20)]
    )
    path = write_fcs(tmp_path / "big.fcs", frame)
    assert path.stat().st_size > 99_999_999
    assert np.array_equal(read_fcs(path)[0].events, frame.to_numpy())


def test_csv_export_refuses_to_overwrite(tmp_path):
    frame = pd.DataFrame({"a": [1, 2]})
    write_csv(tmp_path / "t.csv", frame)
    with pytest.raises(OutputExistsError):
        write_csv(tmp_path / "t.csv", frame)


def test_infinite_values_export_and_files_are_readable_by_others(tmp_path):
    frame = pd.DataFrame({"a": [1.0, np.inf, -np.inf], "b": [np.nan, 2.0, 3.0]})
    path = write_fcs(tmp_path / "odd.fcs", frame)
    back = read_fcs(path)[0].events
    assert np.array_equal(back, frame.to_numpy(np.float32), equal_nan=True)
    assert path.stat().st_mode & 0o044  # group/other may read, as with any new file


def test_keyword_values_with_slashes_keep_every_keyword(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    keywords = {"$SRC": "/data/run1/", "NOTE": "x/y", "$COM": "ends with/"}
    (back,) = read_fcs(write_fcs(tmp_path / "k.fcs", frame, keywords=keywords))
    assert back.keywords["src"].strip() == "/data/run1/"
    assert back.keywords["note"] == "x/y"
    assert back.keywords["com"].strip() == "ends with/"
    assert back.keywords["cytomoe_version"]


def test_spillover_is_left_out_when_its_channels_are_not_exported(shared_data, tmp_path):
    (sample,) = read_fcs(shared_data / "labeled/flowsom_68983/68983.fcs")
    frame = sample.to_frame()[["FSC-A", "PE-Cy7-A"]]
    (back,) = read_fcs(write_fcs(tmp_path / "two.fcs", frame, keywords=sample.keywords))
    assert back.spillover is None and "spill" not in back.keywords


def test_numbered_columns_and_empty_selections_export(tmp_path):
    (numbered,) = read_fcs(write_fcs(tmp_path / "n.fcs", pd.DataFrame({0: [1.0], 1: [2.0]})))
    assert numbered.channels == ["0", "1"] and numbered.events.tolist() == [[1.0, 2.0]]
    (empty,) = read_fcs(write_fcs(tmp_path / "e.fcs", pd.DataFrame({"a": [], "b": []})))
    assert empty.events.shape == (0, 2)


@pytest.mark.parametrize("name", ["/FL1", "FL1/", "FL/1"])
def test_a_slash_in_a_channel_name_keeps_every_later_keyword(tmp_path, name):
    frame = pd.DataFrame({name: [1.0, 2.0], "b": [3.0, 4.0]})
    (back,) = read_fcs(write_fcs(tmp_path / "s.fcs", frame, keywords={"$CYT": "Aria"}))
    assert [c.strip() for c in back.channels] == [name, "b"]
    assert back.keywords["cyt"] == "Aria" and back.keywords["cytomoe_version"]
    assert np.array_equal(back.events, frame.to_numpy(np.float32))


def test_export_keeps_timestep_display_voltage_and_time_gain(shared_data, tmp_path):
    (sample,) = read_fcs(shared_data / "plates/yeast/Yeast_B1_B01.fcs")
    frame = sample.to_frame()[["Time", "FSC-A"]]
    (back,) = read_fcs(write_fcs(tmp_path / "t.fcs", frame, keywords=sample.keywords))
    time = sample.channels.index("Time") + 1
    fsc = sample.channels.index("FSC-A") + 1
    assert back.keywords["timestep"] == sample.keywords["timestep"]
    assert back.keywords["p1g"] == sample.keywords[f"p{time}g"]  # 0.01 stays 0.01
    assert back.keywords["p2display"] == sample.keywords[f"p{fsc}display"]
    assert back.keywords["p2v"] == sample.keywords[f"p{fsc}v"]
    assert np.array_equal(back.events, frame.to_numpy(np.float32))  # time not rescaled


def test_export_keeps_gains_and_values_read_back_in_instrument_units(shared_data, tmp_path):
    (sample, _) = read_fcs(shared_data / "instruments/cytoflow/Beckman Coulter - Gallios.LMD")
    frame = sample.to_frame()[["FS INT LIN", "SS INT LIN"]]
    (back,) = read_fcs(write_fcs(tmp_path / "g.fcs", frame, keywords=sample.keywords))
    assert float(back.keywords["p1g"]) == 10 and float(back.keywords["p2g"]) == 100
    np.testing.assert_allclose(back.events, frame.to_numpy(np.float32), rtol=1e-6)


def test_own_channels_get_their_range_and_a_linear_display(tmp_path):
    frame = pd.DataFrame({"FL1": [5.0, 300000.0], "cluster": [0.0, 6.0]})
    (back,) = read_fcs(write_fcs(tmp_path / "c.fcs", frame, linear_ranges={"cluster": 7}))
    assert back.keywords["p2r"] == "7" and back.keywords["p2display"] == "LIN"
    assert back.keywords["p1r"] == "524288"


def test_a_named_cluster_keeps_its_name_in_the_file_name_safely():
    assert cluster_file_stem(3) == "cluster_03"
    assert cluster_file_stem(3, "CD4+ T cells") == "cluster_03_CD4+_T_cells"
    assert cluster_file_stem(12, 'a/b: "c"?') == "cluster_12_a_b_c"


def test_cluster_name_keywords_name_one_cluster_or_list_several():
    names = {0: "CD4+ T cells", 3: "B cells"}
    assert cluster_name_keywords(names, [3]) == {"CYTOMOE_CLUSTER_NAME": "B cells"}
    assert cluster_name_keywords(names, [1]) == {}
    assert cluster_name_keywords(names, [0, 1, 3]) == {
        "CYTOMOE_CLUSTER_NAMES": "0=CD4+ T cells; 3=B cells"
    }
