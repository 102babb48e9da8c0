"""The lab tool's own logic, without PHP or a database: sources, requirements, ports, errors, lab.env."""

import io
import os
import socket
import stat
import sys
import tarfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools"))

from moodle_lab import php, system  # noqa: E402
from moodle_lab.databases import MariaDB, PostgreSQL, database_class  # noqa: E402
from moodle_lab.errors import LabError  # noqa: E402
from moodle_lab.lab import TOKEN_NAMES, Lab  # noqa: E402
from moodle_lab.source import MoodleTree, unpack  # noqa: E402

VERSION_PHP = """<?php
defined('MOODLE_INTERNAL') || die();
$version  = 2024042203.03;              // YYYYMMDD      = weekly release date of this DEV branch.
$release  = '4.4.3+ (Build: 20240910)'; // Human-friendly version name
$branch   = '404';                      // This version's branch.
$maturity = MATURITY_STABLE;
"""
ENVIRONMENT_XML = """<?xml version="1.0" encoding="UTF-8" ?>
<COMPATIBILITY_MATRIX>
  <MOODLE version="4.3" requires="3.11.8"><PHP version="8.0.0" level="required"/></MOODLE>
  <MOODLE version="4.4" requires="4.1.2">
    <DATABASE level="required"><VENDOR name="mariadb" version="10.6.7" /><VENDOR name="postgres" version="13" />
    </DATABASE>
    <PHP version="8.1.0" level="required"/>
    <PHP_SETTINGS><PHP_SETTING name="max_input_vars" value="5000" level="required"/></PHP_SETTINGS>
  </MOODLE>
</COMPATIBILITY_MATRIX>
"""


def make_tree(root, public=False):
    """A minimal Moodle layout: what the tool reads of a release, nothing it would run."""
    code = os.path.join(root, "public") if public else root
    for relative, text in (
        ("version.php", VERSION_PHP),
        ("lib/moodlelib.php", "<?php\n"),
        ("admin/cli/install.php", "<?php\n"),
        ("admin/environment.xml", ENVIRONMENT_XML),
        ("index.php", "<?php\n"),
    ):
        path = os.path.join(code, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text)
    return root


def test_a_release_tree_tells_its_version_branch_and_requirements(tmp_path):
    tree = MoodleTree(make_tree(str(tmp_path / "moodle")))
    assert (tree.version, tree.release, tree.branch, tree.short_version) == (
        "2024042203.03",
        "4.4.3+ (Build: 20240910)",
        "404",
        "4.4",
    )
    assert tree.webroot == tree.root
    requirements = tree.requirements()
    assert requirements["php"] == "8.1.0"
    assert requirements["databases"] == {"mariadb": "10.6.7", "postgres": "13"}
    assert requirements["php_settings"] == {"max_input_vars": "5000"}


def test_a_tree_with_public_is_served_from_public(tmp_path):
    tree = MoodleTree(make_tree(str(tmp_path / "moodle"), public=True))
    assert tree.webroot == os.path.join(tree.root, "public")
    assert tree.install_script.endswith("public/admin/cli/install.php")


def test_a_folder_that_is_not_moodle_is_refused_by_name(tmp_path):
    (tmp_path / "README.md").write_text("not moodle")
    with pytest.raises(LabError, match="holds no Moodle tree"):
        unpack(str(tmp_path), str(tmp_path / "lab" / "moodle"))


def test_a_missing_source_and_an_unknown_file_type_say_what_to_give(tmp_path):
    with pytest.raises(LabError, match="no Moodle source: set MOODLE_SRC"):
        unpack(None, str(tmp_path / "moodle"))
    with pytest.raises(LabError, match="does not exist"):
        unpack(str(tmp_path / "nowhere.tar.xz"), str(tmp_path / "moodle"))
    (tmp_path / "moodle.zip").write_bytes(b"PK")
    with pytest.raises(LabError, match="neither a folder nor"):
        unpack(str(tmp_path / "moodle.zip"), str(tmp_path / "moodle"))


def test_an_archive_with_a_moodle_folder_is_unpacked(tmp_path):
    make_tree(str(tmp_path / "src" / "moodle"))
    archive = tmp_path / "moodle-4.4.tar.gz"
    with tarfile.open(str(archive), "w:gz") as tar:
        tar.add(str(tmp_path / "src" / "moodle"), arcname="moodle")
    tree = unpack(str(archive), str(tmp_path / "lab" / "moodle"))
    assert tree.root == str(tmp_path / "lab" / "moodle")
    assert tree.short_version == "4.4"
    assert not os.path.exists(str(tmp_path / "lab" / "moodle.unpacking"))


def test_a_checkout_is_copied_without_its_git_folder_and_config(tmp_path):
    checkout = make_tree(str(tmp_path / "checkout"))
    os.makedirs(os.path.join(checkout, ".git"))
    with open(os.path.join(checkout, "config.php"), "w") as handle:
        handle.write("<?php // the developer's own site\n")
    tree = unpack(checkout, str(tmp_path / "lab" / "moodle"))
    assert not os.path.exists(os.path.join(tree.root, ".git"))
    assert not os.path.exists(os.path.join(tree.root, "config.php"))
    assert os.path.exists(os.path.join(checkout, "config.php")), "the user's checkout is never changed"


def test_a_php_older_than_the_release_needs_is_refused(monkeypatch):
    monkeypatch.setattr(php, "version", lambda: "8.0.30")
    monkeypatch.setattr(php, "loaded_extensions", lambda: set(php.EXTENSIONS) | {"pgsql", "mysqli"})
    with pytest.raises(LabError, match=r"needs PHP 8\.1\.0 or newer .* the PHP here is 8\.0\.30"):
        php.ensure(PostgreSQL, "8.1.0")


def test_missing_extensions_are_named_as_debian_packages_when_not_root(monkeypatch):
    monkeypatch.setattr(php, "version", lambda: "8.2.36")
    monkeypatch.setattr(php, "loaded_extensions", lambda: set(php.EXTENSIONS) - {"intl"})
    monkeypatch.setattr(system, "is_root", lambda: False)
    with pytest.raises(LabError, match=r"apt-get install -y php8\.2-intl php8\.2-mysql"):
        php.ensure(MariaDB, "8.1.0")


def test_an_unknown_database_is_refused():
    assert database_class("pgsql") is PostgreSQL and database_class("mariadb") is MariaDB
    with pytest.raises(LabError, match="MOODLE_DB=oracle is not supported"):
        database_class("oracle")


def test_a_port_someone_listens_on_is_in_use_and_refused_by_name(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert system.port_in_use(port)
        with pytest.raises(LabError, match="port %d is in use" % port):
            Lab("t", str(tmp_path))._choose_port(port)
    assert not system.port_in_use(port)
    assert 20000 <= system.free_port() <= 32000


def test_a_failed_install_shows_the_installer_s_last_lines_and_removes_config(tmp_path, monkeypatch):
    tree = MoodleTree(make_tree(str(tmp_path / "moodle")))
    fake_php = tmp_path / "php"
    # Like install.php: config.php is written before the environment check refuses.
    fake_php.write_text(
        "#!/bin/sh\ntouch %s\necho 'Environment check failed'\necho 'max_input_vars 1000'\nexit 1\n" % tree.config_file
    )
    fake_php.chmod(0o755)
    monkeypatch.setattr(php, "PHP", str(fake_php))
    log = str(tmp_path / "install.log")
    with pytest.raises(LabError) as failure:
        php.install(tree, PostgreSQL(str(tmp_path / "db"), 25432), "http://127.0.0.1:1", str(tmp_path / "data"), log)
    assert "Environment check failed" in str(failure.value) and log in str(failure.value)
    assert not os.path.exists(tree.config_file)


def test_set_address_moves_the_site_to_another_port(tmp_path):
    tree = MoodleTree(make_tree(str(tmp_path / "moodle")))
    with open(tree.config_file, "w") as handle:
        handle.write(
            "<?php\n$CFG->dboptions = array (\n  'dbpersist' => 0,\n  'dbport' => 24001,\n);\n"
            "$CFG->wwwroot   = 'http://127.0.0.1:24002';\n"
        )
    php.set_address(tree, wwwroot="http://127.0.0.1:25002", dbport=25001)
    text = open(tree.config_file).read()
    assert "'dbport' => 25001," in text and "$CFG->wwwroot   = 'http://127.0.0.1:25002';" in text


def test_lab_env_is_private_and_names_every_token(tmp_path):
    lab = Lab("unit", str(tmp_path))
    lab.state = {
        "db": "pgsql",
        "web_port": 24999,
        "release": "4.4.3+ (Build: 20240910)",
        "version": "2024042203.03",
        "branch": "404",
        "short_version": "4.4",
        "cohorts": {"onemembership": 1, "second": 2},
        "tokens": {name: "%032x" % index for index, name in enumerate(TOKEN_NAMES)},
    }
    os.makedirs(lab.home)
    lab._write_env()
    assert stat.S_IMODE(os.stat(lab.env_file).st_mode) == 0o600
    values = dict(
        line.split("=", 1)
        for line in io.open(lab.env_file).read().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert values["MOODLE_BASE_URL"] == "http://127.0.0.1:24999"
    assert values["MOODLE_TOKEN"] == values["MOODLE_LAB_TOKEN_OK"]
    assert values["MOODLE_ONEMEMBERSHIP_COHORT_ID"] == "1"
    assert values["MOODLE_LAB_TARGET"] == "4.4-pgsql" and values["MOODLE_LAB_RELEASE"] == "4.4.3+"
    assert {"MOODLE_LAB_" + name for name in TOKEN_NAMES} <= set(values)


def test_a_lab_name_cannot_leave_the_labs_folder(tmp_path):
    with pytest.raises(LabError, match="a lab name is"):
        Lab("../elsewhere", str(tmp_path))


def test_commands_on_a_lab_that_is_not_installed_say_to_run_make_lab(tmp_path):
    lab = Lab("never", str(tmp_path))
    assert lab.status() == {"name": "never", "installed": False}
    with pytest.raises(LabError, match="not installed: run `make lab`"):
        lab.reset()


def test_the_lab_name_may_come_before_or_after_the_command(tmp_path, capsys):
    from moodle_lab.cli import main

    assert main(["--root", str(tmp_path), "--name", "first", "status"]) == 3
    assert '"name": "first"' in capsys.readouterr().out
    assert main(["status", "--name", "second", "--root", str(tmp_path)]) == 3
    assert '"name": "second"' in capsys.readouterr().out


def test_a_checkout_the_database_account_cannot_enter_keeps_the_server_files_outside_linked(tmp_path, monkeypatch):
    from moodle_lab import databases

    outside = tmp_path / "outside"
    monkeypatch.setattr(databases, "OUTSIDE_HOMES", str(outside))
    monkeypatch.setattr(system, "is_root", lambda: True)
    monkeypatch.setattr(system, "ensure_lab_user", lambda: "labaccount")
    monkeypatch.setattr(system, "chown_tree", lambda path, user: None)
    # The account reaches only the folder made for it outside the checkout.
    monkeypatch.setattr(system, "user_can_write", lambda user, path: path.startswith(str(outside)))
    home = tmp_path / "checkout" / "build" / "lab" / "x" / "db"
    database = PostgreSQL(str(home), 25432)
    database.prepare_home()
    assert os.path.islink(str(home)) and database.home.startswith(str(outside))
    assert os.path.isdir(database.rundir) and os.path.realpath(str(home)) == database.home
    # A later command finds the same place through the link.
    assert PostgreSQL(str(home), 25432).home == database.home
