"""The pipeline file: defaults, paths, and errors that name the file, the line and the key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from synthera.errors import SyntheraError
from synthera.models.registry import available_synthesizers, synthesizer_class
from synthera.pipeline.config import PipelineConfigError, load_pipeline

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def write(tmp_path: Path, text: str, name: str = "pipeline.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(PipelineConfigError) as caught:
        load_pipeline(path)
    message = str(caught.value)
    assert "\n" not in message
    assert isinstance(caught.value, SyntheraError)
    return message


def test_minimal_file_gets_documented_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        data: {builtin: penguins}
        generators:
          - name: copula
            model: gaussian_copula
        """,
    )
    pipeline = load_pipeline(path)
    config = pipeline.config
    assert pipeline.name == "pipeline"  # the file name
    assert pipeline.output == tmp_path / "pipeline-output"
    assert config.seed == 0 and config.split.holdout_fraction == 0.2
    assert config.evaluate.families == ["fidelity", "utility", "privacy", "fairness"]
    assert config.evaluate.transformers is None and not config.tracking.enabled
    assert config.generators[0].sample.rows is None
    # Every field is documented, so the file format explains itself.
    sections = [config, config.data, config.split, config.generators[0], config.tracking]
    for section in sections:
        undocumented = [
            name
            for name, field in type(section).model_fields.items()
            if not field.description
            and name not in {"data", "table_schema", "split"}
            and name not in {"generators", "evaluate", "reports", "tracking"}
        ]
        assert undocumented == [], type(section).__name__


def test_paths_are_read_from_the_files_folder(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    path = write(
        tmp_path / "runs",
        """
        name: census
        output: out/here
        data: {path: ../data/table.csv}
        generators: [{name: a, model: gaussian_copula}]
        """,
    )
    pipeline = load_pipeline(path)
    assert pipeline.output == tmp_path / "runs" / "out" / "here"
    assert pipeline.resolve("../data/table.csv") == tmp_path / "runs" / "../data/table.csv"
    override = load_pipeline(path, output=tmp_path / "elsewhere", track=True)
    assert override.output == tmp_path / "elsewhere" and override.config.tracking.enabled


def test_unknown_key_names_line_key_and_the_close_match(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        data:
          builtin: penguins
        generators:
          - name: copula
            modle: gaussian_copula
        """,
    )
    message = error_of(path)
    assert message.startswith(f"{path}, line 5: generators[0].modle: unknown key 'modle'")
    assert "did you mean 'model'?" in message and "allowed: name, model, params" in message


def test_wrong_type_and_missing_section_name_their_line(tmp_path: Path) -> None:
    wrong = write(
        tmp_path,
        """
        seed: zero
        data: {builtin: penguins}
        generators: [{name: a}]
        """,
    )
    assert error_of(wrong).startswith(f"{wrong}, line 1: seed: Input should be a valid integer")
    missing = write(tmp_path, "seed: 1\ndata: {builtin: penguins}\n", "missing.yaml")
    assert error_of(missing) == f"{missing}, line 1: generators: missing key 'generators'"
    both = write(
        tmp_path,
        """
        generators: [{name: a}]
        data:
          builtin: penguins
          path: table.csv
        """,
        "both.yaml",
    )
    assert "line 2: data: give exactly one of 'path'" in error_of(both)


def test_nested_values_are_checked_where_they_are_written(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        data: {builtin: penguins}
        generators:
          - name: a
          - name: b
            sample:
              rows: 0
        evaluate:
          families: [fidelity, beauty]
        """,
    )
    message = error_of(path)
    assert message.startswith(f"{path}, line 6: generators[1].sample.rows:")
    assert "greater than or equal to 1" in message and "(and 1 more problem)" in message


def test_registry_checks_point_at_model_and_parameter(tmp_path: Path) -> None:
    unknown_model = write(
        tmp_path,
        """
        data: {builtin: penguins}
        generators:
          - name: a
            model: no_such_model
        """,
    )
    message = error_of(unknown_model)
    assert message.startswith(f"{unknown_model}, line 4: generators[0].model: no model named")
    assert "gaussian_copula" in message  # the registry's names, not a list written here

    typo = write(
        tmp_path,
        """
        data: {builtin: penguins}
        generators:
          - name: a
            model: tvae
            params:
              batch_size: 50
              epoch: 3
        """,
        "typo.yaml",
    )
    message = error_of(typo)
    assert message.startswith(f"{typo}, line 7: generators[0].params.epoch: tvae has no")
    assert "did you mean 'epochs'?" in message

    bad_value = write(
        tmp_path,
        """
        data: {builtin: penguins}
        generators:
          - name: a
            model: tvae
            params: {epochs: -3}
        """,
        "value.yaml",
    )
    message = error_of(bad_value)
    assert message.startswith(f"{bad_value}, line 5: generators[0].params.epochs: tvae: epochs")


def test_privacy_is_checked_against_the_spec_and_the_model(tmp_path: Path) -> None:
    bad_epsilon = write(
        tmp_path,
        """
        data: {builtin: penguins}
        generators:
          - name: a
            privacy:
              epsilon: -1
        """,
    )
    assert "line 4: generators[0].privacy: epsilon must be > 0" in error_of(bad_epsilon)
    plain = [
        info.name
        for info in available_synthesizers()
        if info.available and not getattr(synthesizer_class(info.name), "supports_privacy", False)
    ]
    if not plain:
        pytest.skip("every installed model trains with differential privacy")
    no_dp = write(
        tmp_path,
        f"""
        data: {{builtin: penguins}}
        generators:
          - name: a
            model: {plain[0]}
            privacy: {{epsilon: 1.0}}
        """,
        "no_dp.yaml",
    )
    message = error_of(no_dp)
    assert f"line 5: generators[0].privacy: {plain[0]} cannot train with differential" in message


def test_yaml_mistakes_name_their_line(tmp_path: Path) -> None:
    repeated = write(
        tmp_path,
        """
        data: {builtin: penguins}
        seed: 1
        generators: [{name: a}]
        seed: 2
        """,
    )
    assert error_of(repeated) == f"{repeated}, line 4: seed appears twice (first on line 2)"
    broken = write(tmp_path, "data: {builtin: penguins\ngenerators: []\n", "broken.yaml")
    assert error_of(broken).startswith(f"{broken}, line 2: not valid YAML")
    names = write(
        tmp_path,
        """
        data: {builtin: penguins}
        generators: [{name: a}, {name: a}]
        """,
        "names.yaml",
    )
    assert "generator name 'a' is used twice" in error_of(names)
    assert "a pipeline file is a mapping" in error_of(write(tmp_path, "- 1\n", "list.yaml"))
    assert "is empty" in error_of(write(tmp_path, "# nothing\n", "empty.yaml"))
    assert "not found" in error_of(tmp_path / "absent.yaml")


def test_schema_kinds_and_limits_are_checked(tmp_path: Path) -> None:
    kinds = write(
        tmp_path,
        """
        data: {builtin: penguins}
        schema:
          kinds: {Island: colour}
        generators: [{name: a}]
        """,
    )
    assert "line 3: schema.kinds: column 'Island': unknown kind 'colour'" in error_of(kinds)
    limits = write(
        tmp_path,
        """
        data: {builtin: penguins}
        generators: [{name: a}]
        evaluate:
          limits: {utility_row: 10}
        """,
        "limits.yaml",
    )
    assert "line 4: evaluate.limits: unknown limit 'utility_row'" in error_of(limits)


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_examples_are_valid(example: str) -> None:
    try:
        pipeline = load_pipeline(EXAMPLES / example)
    except PipelineConfigError as exc:
        if "optional dependency" not in str(exc):
            raise
        pytest.skip(f"an extra the example uses is not installed: {exc}")
    assert pipeline.config.generators and pipeline.output.parent == EXAMPLES
