"""Qué `java` corre el Kafka embebido: ALVA_JAVA o el del PATH, y su versión tal como la dice."""

import os
import stat

import pytest

from infra.comun import ErrorEntorno
from infra.kafka import java_de_kafka, version_java

pytestmark = pytest.mark.unit


def _java_falso(carpeta, version: str):
    java = carpeta / "java"
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2025-10-21' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IXUSR)
    return java


def test_alva_java_elige_el_java_del_broker_y_su_version_se_lee(tmp_path, monkeypatch):
    otro = _java_falso(tmp_path, "25.0.3")
    monkeypatch.setenv("ALVA_JAVA", str(otro))
    assert java_de_kafka() == str(otro)
    assert version_java(java_de_kafka()) == "25.0.3"


def test_sin_alva_java_es_el_del_path(tmp_path, monkeypatch):
    monkeypatch.delenv("ALVA_JAVA", raising=False)
    _java_falso(tmp_path, "17.0.15")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert java_de_kafka() == str(tmp_path / "java")
    assert version_java(java_de_kafka()) == "17.0.15"


def test_un_alva_java_que_no_existe_dice_como_arreglarlo(tmp_path, monkeypatch):
    monkeypatch.setenv("ALVA_JAVA", str(tmp_path / "no-hay" / "java"))
    with pytest.raises(ErrorEntorno, match="ALVA_JAVA=.*not an executable java"):
        java_de_kafka()
    assert version_java(str(tmp_path / "no-hay" / "java")) is None
