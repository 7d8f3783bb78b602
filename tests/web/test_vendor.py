"""Fetched browser files are kept only when they match their pinned sha512, and never half written."""

import pytest

from bank_tax.web import vendor


def test_a_tarball_that_does_not_match_its_pin_is_refused():
    pkg = vendor.PACKAGES[0]
    with pytest.raises(RuntimeError, match="does not match"):
        vendor._check(pkg, b"not the tarball")


def test_a_package_without_a_pin_is_refused():
    pkg = vendor.Package("x", "1.0.0", "", "package/x.js", "x.js")
    with pytest.raises(RuntimeError, match="no pinned integrity"):
        vendor._check(pkg, b"")


def test_every_package_is_pinned_to_a_version_and_a_sha512():
    for pkg in vendor.PACKAGES:
        assert pkg.integrity.startswith("sha512-") and len(pkg.integrity) > 80
        assert pkg.url == f"https://registry.npmjs.org/{pkg.name}/-/{pkg.name}-{pkg.version}.tgz"


def test_a_file_fetched_at_another_pin_is_not_current(tmp_path, monkeypatch):
    monkeypatch.setattr(vendor, "STATIC", tmp_path)
    pkg = vendor.Package("x", "1.0.0", "sha512-abc", "package/x.js", "x.js")
    (tmp_path / "x.js").write_text("old")
    assert not pkg.current()  # no stamp: fetched by hand, or by an older make
    pkg.stamp.write_text("x@0.9.0 sha512-old\n")
    assert not pkg.current()
    pkg.stamp.write_text(pkg.pin + "\n")
    assert pkg.current()
