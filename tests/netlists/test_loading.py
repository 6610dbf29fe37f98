"""Loading by name or path, the format registry, and the command line."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

import netlists
from netlists import UnknownDesignError, UnsupportedFormatError
from netlists.formats import read_design, write_design


def test_load__bundled_designs_are_cached():
    assert netlists.load("n10") is netlists.load("n10")


def test_load__a_path_reads_the_file(tmp_path):
    path = write_design(netlists.load("n10"), tmp_path / "copy.json")
    assert netlists.load(path).netlist.same_as(netlists.load("n10").netlist)


def test_load__unknown_name_suggests_close_names():
    with pytest.raises(UnknownDesignError, match="Did you mean n10"):
        netlists.load("n1O")


def test_load__a_name_without_zero_padding_suggests_the_padded_one_first():
    with pytest.raises(UnknownDesignError, match="Did you mean ibm01,"):
        netlists.load("ibm1")


def test_cli_list__a_reader_that_goes_away_is_no_error():
    child = subprocess.Popen(
        [sys.executable, "-m", "netlists", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    child.stdout.close()  # like `| head` exiting before the listing is written
    _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert b"Traceback" not in err and b"BrokenPipeError" not in err


def test_read_design__unknown_suffix_lists_the_known_ones(tmp_path):
    path = tmp_path / "design.xyz"
    path.write_text("hello")
    with pytest.raises(UnsupportedFormatError, match=r"known: .*\.aux"):
        read_design(path)
    with pytest.raises(UnsupportedFormatError, match="no writer"):
        write_design(netlists.load("n10"), tmp_path / "out.xyz")


def test_read_design__missing_file_is_unknown_design(tmp_path):
    with pytest.raises(UnknownDesignError, match="no such file"):
        read_design(tmp_path / "absent.aux")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "netlists", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_info_json__prints_the_documented_keys():
    result = _run("info", "ariane133_ng45", "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats == netlists.design_stats(netlists.load("ariane133_ng45")).to_dict()
    assert (stats["hard_macros"], stats["grid_cols"], stats["grid_rows"]) == (133, 24, 21)


def test_cli_list__names_every_bundled_design():
    result = _run("list", "--json")
    assert result.returncode == 0, result.stderr
    names = {entry["name"] for entry in json.loads(result.stdout)}
    assert names == set(netlists.BUNDLED)
    assert {"ibm01", "ibm14", "nvdla_ng45", "ariane133_flat_ng45", "n300", "ami33"} <= names


def test_cli_info__unknown_design_exits_2_with_a_message():
    result = _run("info", "no_such_design")
    assert result.returncode == 2
    assert "neither a bundled design nor an existing file" in result.stderr


def test_cli_demo__writes_a_picture(tmp_path):
    from png_checks import blobs, matching, read_rgb, rgb

    from netlists import NodeKind
    from netlists.render import COLOURS, figure_size

    result = _run("demo", "--design", "n30", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    picture = tmp_path / "n30_initial.png"
    assert f"picture: {picture}" in result.stdout
    image = read_rgb(picture)
    # 7 x 7 inches at 120 dpi, the margins trimmed and the legend added.
    height_px = figure_size(netlists.load("n30").netlist)[1] * 120
    assert 0.75 * height_px <= image.shape[0] <= 1.05 * height_px
    # n30 ships its 212 ports placed (its macros unplaced): each port is a small triangle of
    # the port colour, apart from the legend swatch, and the rest of the die is white.
    ports = int((netlists.load("n30").netlist.node_kinds == int(NodeKind.PORT)).sum())
    assert ports == 212
    triangles = blobs(matching(image, rgb(COLOURS[NodeKind.PORT][0]), tol=40))
    small = [blob for blob in triangles if blob.pixels < 50]
    assert 0.9 * ports <= len(small) <= ports
    assert (image == 255).all(axis=-1).mean() > 0.5


def test_cli_demo__an_out_that_is_a_file_is_refused_and_kept(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    result = _run("demo", "--design", "n10", "--out", str(taken))
    assert result.returncode == 2 and "is a file" in result.stderr
    assert "Traceback" not in result.stderr and taken.read_text() == "keep me"


def test_cli_demo__a_design_given_by_path_draws_into_out(tmp_path):
    source = write_design(netlists.load("n10"), tmp_path / "src" / "copy.json")
    out = tmp_path / "pictures"
    result = _run("demo", "--design", str(source.resolve()), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert [p.name for p in out.iterdir()] == [f"{netlists.load(source).name}_initial.png"]
    assert sorted(p.name for p in source.parent.iterdir()) == ["copy.json"]


def test_cli_info__a_def_finds_its_lefs_and_prints_the_notes():
    result = _run("info", "ariane_lefdef", "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert (stats["hard_macros"], stats["std_cells"], stats["ports"]) == (133, 82821, 1231)
    assert any("reuse the name" in note for note in stats["notes"])


def test_cli_info__lef_option_and_missing_lef(tmp_path):
    data = Path(netlists.__file__).parent / "data" / "lefdef" / "gcd_mem1"
    copy = tmp_path / "gcd.def.gz"
    copy.write_bytes((data / "gcd_mem1.def.gz").read_bytes())
    result = _run("info", str(copy))
    assert result.returncode == 2 and "no LEF file beside the DEF" in result.stderr
    lefs = [str(data / "Nangate45.lef.gz"), str(data / "fakeram45_64x7.lef.gz")]
    result = _run("info", str(copy), "--lef", *lefs)
    assert result.returncode == 0, result.stderr
    assert "hard_macros               1" in result.stdout


def test_cli_convert__def_to_def_copies_and_def_to_json_keeps_the_counts(tmp_path):
    source = Path(netlists.__file__).parent / "data" / "lefdef" / "gcd_mem1" / "gcd_mem1.def.gz"
    result = _run("convert", "gcd_mem1", str(tmp_path / "out.def"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.def").read_bytes() == gzip.decompress(source.read_bytes())
    result = _run("convert", "gcd_mem1", str(tmp_path / "out.json"))
    assert result.returncode == 0, result.stderr
    again = netlists.load(tmp_path / "out.json")
    assert netlists.design_stats(again) == netlists.design_stats(netlists.load("gcd_mem1"))


def test_cli_convert__refuses_def_output_without_a_def_input(tmp_path):
    result = _run("convert", "n10", str(tmp_path / "x.def"))
    assert result.returncode == 2 and "is not a DEF" in result.stderr
    result = _run("convert", "n10", str(tmp_path / "x.xyz"))
    assert result.returncode == 2 and "no writer" in result.stderr
    assert not (tmp_path / "x.def").exists() and not (tmp_path / "x.xyz").exists()


def test_cli_group__refuses_a_design_that_is_already_clustered(tmp_path):
    result = _run("group", "ariane133_ng45", "--out", str(tmp_path / "g"))
    assert result.returncode == 2 and "cannot be grouped again" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "g").exists()


@pytest.mark.slow
def test_cli_group__bundled_flat_netlist_rebuilds_the_clustered_one(tmp_path):
    result = _run("group", "ariane133_flat_ng45", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    built = gzip.decompress((tmp_path / "netlist.pb.txt.gz").read_bytes())
    shipped = Path(netlists.__file__).parent / "data" / "ct_modern" / "ariane133_ng45"
    assert built == gzip.decompress((shipped / "netlist.pb.txt.gz").read_bytes())
    assert (tmp_path / "initial.plc").read_bytes() == (shipped / "initial.plc").read_bytes()


def test_cli_group__computes_a_grouping_of_a_def_design_that_scores(tmp_path):
    result = _run("group", "gcd_mem1", "--out", str(tmp_path), "--seed", "3")
    assert result.returncode == 0, result.stderr
    design = netlists.load(tmp_path / "netlist.pb.txt.gz")  # reads initial.plc beside it
    stats = netlists.design_stats(design)
    assert (stats.hard_macros, stats.ports, stats.std_cells) == (1, 61, 0)
    assert stats.soft_macros > 0 and design.plc is not None
    assert design.placement.placed.all()


@pytest.mark.parametrize(
    ("option", "value"), [("--scale", "0"), ("--scale", "nan"), ("--cell-utilization", "1.5")]
)
def test_cli_group__refuses_bad_numbers_before_writing(tmp_path, option, value):
    result = _run("group", "gcd_mem1", "--out", str(tmp_path / "g"), option, value)
    assert result.returncode == 2 and option in result.stderr
    assert not (tmp_path / "g").exists()


def test_cli_convert__a_refused_write_leaves_no_folder_behind(tmp_path):
    result = _run("convert", "ariane_lefdef", str(tmp_path / "new" / "x.aux"))
    assert result.returncode == 2 and "share a name" in result.stderr
    assert not (tmp_path / "new").exists()
