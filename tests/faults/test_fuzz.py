"""The fuzz targets (fuzz/): the committed corpus and every regression replay
clean under gcc's ASan and UBSan, and libFuzzer runs each target for a bounded
time without a finding (FUZZ_SECONDS, default 20 s, 60 s in CI; fuzz/run.sh runs
longer)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from nxpop3.testing.dependencies import require_tool

ROOT = Path(__file__).resolve().parents[2]
FUZZ = ROOT / "fuzz"
TARGETS = ["fuzz_session", "fuzz_body", "fuzz_reply", "fuzz_listing", "fuzz_sasl"]



def build(folder: Path, compiler: str, engine: str) -> Path:
    for command in (["cmake", "-S", str(FUZZ), "-B", str(folder), f"-DCMAKE_C_COMPILER={compiler}",
                     f"-DNXPOP3_FUZZ_ENGINE={engine}"],
                    ["cmake", "--build", str(folder), "-j", "2"]):
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
    return folder


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("replay"), require_tool("gcc"), "replay")


@pytest.fixture(scope="module")
def libfuzzer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("libfuzzer"), require_tool("clang"), "libfuzzer")


@pytest.mark.parametrize("target", TARGETS)
def test_corpus_and_regressions_replay_clean(replay: Path, target: str) -> None:
    kind = target.removeprefix("fuzz_")
    inputs = [FUZZ / "corpus" / kind, FUZZ / "regressions" / kind]
    assert any((FUZZ / "corpus" / kind).iterdir()), "the seed corpus is empty"
    result = subprocess.run([str(replay / target), *map(str, inputs)], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "replayed" in result.stdout


@pytest.mark.parametrize("target", TARGETS)
def test_libfuzzer_finds_nothing(libfuzzer: Path, target: str, tmp_path: Path) -> None:
    kind = target.removeprefix("fuzz_")
    seconds = int(os.environ.get("FUZZ_SECONDS", "20"))
    result = subprocess.run(
        [str(libfuzzer / target), f"-max_total_time={seconds}", "-timeout=10",
         "-rss_limit_mb=1024", f"-artifact_prefix={tmp_path}/", str(tmp_path),
         str(FUZZ / "corpus" / kind), str(FUZZ / "regressions" / kind)],
        capture_output=True, text=True, timeout=seconds + 300)
    findings = [p.name for p in tmp_path.iterdir() if p.name.startswith(("crash", "leak",
                                                                        "timeout", "oom"))]
    assert result.returncode == 0 and not findings, result.stderr[-4000:]
