"""Pure parts of the scale benchmark: templating deploy/nginx.conf with N upstreams, CPU of process trees."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.scale_cpu import TICK, parse_stat, tree_cpu
from benchmarks.scale_nginx import TEMPLATE, main_conf, site


def test_the_repository_file_gets_exactly_the_given_upstreams_address_and_cache(tmp_path):
    text = site(TEMPLATE.read_text(), [41001, 41002, 41003], 42000, tmp_path / "cache")
    upstream = re.search(r"upstream bluemap_app \{(.*?)\}", text, re.S)
    assert upstream is not None
    servers = re.findall(r"server 127\.0\.0\.1:(\d+) ", upstream.group(1))
    assert servers == ["41001", "41002", "41003"]
    assert "least_conn;" in upstream.group(1) and "keepalive 32;" in upstream.group(1)
    assert "listen 127.0.0.1:42000;" in text and "listen 8080;" not in text
    assert f"proxy_cache_path {tmp_path / 'cache'} " in text and "/var/cache/nginx" not in text
    one = site(TEMPLATE.read_text(), [41001], 42000, tmp_path)
    assert len(re.findall(r"^\s*server 127\.0\.0\.1:\d+", one, re.M)) == 1


def test_a_reshaped_file_or_no_server_fails_loudly(tmp_path):
    template = TEMPLATE.read_text()
    with pytest.raises(ValueError, match="listen 8080"):
        site(template.replace("listen 8080;", "listen 80;"), [1], 2, tmp_path)
    with pytest.raises(ValueError, match="/var/cache/nginx/bluemap"):
        site(template.replace("/var/cache/nginx/bluemap", "/srv/cache"), [1], 2, tmp_path)
    with pytest.raises(ValueError, match="at least one"):
        site(template, [], 2, tmp_path)


def test_main_conf_runs_in_the_foreground_from_its_folder():
    tmp = Path("/tmp/x")
    conf = main_conf(tmp, tmp / "site.conf", 2, root=False)
    assert "daemon off;" in conf and "worker_processes 2;" in conf and "include /tmp/x/site.conf;" in conf
    assert "pid /tmp/x/nginx.pid;" in conf and "user " not in conf
    assert main_conf(tmp, tmp / "site.conf", 1, root=True).startswith("user root root;\n")


def test_stat_lines_parse_whatever_the_command_name_holds():
    line = f"4242 (gunicorn: (worker) x) S 4200 4242 4242 0 -1 4194560 1 2 3 4 {5 * TICK} {7 * TICK} {11 * TICK} 0 20 0"
    assert parse_stat(line) == (4242, "gunicorn: (worker) x", 4200, 23.0)


def test_a_tree_counts_its_descendants_once_and_nothing_outside_it():
    procs = {1: ("init", 0, 100.0), 10: ("postgres", 1, 2.0), 11: ("postgres", 10, 0.5), 12: ("postgres", 11, 0.25),
             20: ("nginx", 1, 4.0), 21: ("nginx", 20, 1.0)}
    assert tree_cpu(procs, [10]) == 2.75
    assert tree_cpu(procs, [20, 21]) == 5.0  # a root inside another root's tree is not counted twice
    assert tree_cpu(procs, [99]) == 0.0  # gone
