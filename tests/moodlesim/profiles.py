"""Profiles: which Moodle release and database family the simulator answers as.

A profile is named like a recorded target (``<moodle version>-<db>``, tests/fixtures/transcripts/). What
differs between targets, as the recordings show it:

- the database family: MariaDB/MySQL compare text case-insensitively (``email_case_sensitive``: e-mail,
  username and idnumber lookups, the duplicate checks, cohort idnumber and username resolution);
- Moodle 4.5 and later: core exceptions carry their namespace (``core\\exception\\invalid_parameter_exception``);
- Moodle 5.0: a missing database record is reported without its table unless the site debugs
  (``invalidrecordunknown``), and users see their own first and last name;
- the release and version that ``core_webservice_get_site_info`` reports.
"""

RELEASES = {
    "4.4": ("4.4.3+ (Build: 20240910)", "2024042203.03", 404),
    "4.5": ("4.5+ (Build: 20241205)", "2024100700.09", 405),
    "5.0": ("5.0+ (Build: 20250502)", "2025041400.03", 500),
}
DATABASES = {"pgsql": True, "mariadb": False}  # does the database compare text case-sensitively?
DEFAULT = "4.4-pgsql"
PROFILES = sorted("%s-%s" % (release, db) for release in RELEASES for db in DATABASES)


def settings_for(profile):
    """The site settings that make the simulator answer as ``profile`` (e.g. ``5.0-mariadb``)."""
    release, dash, db = (profile or DEFAULT).partition("-")
    if not dash or release not in RELEASES or db not in DATABASES:
        raise ValueError("unknown profile %r (known: %s)" % (profile, ", ".join(PROFILES)))
    name, version, branch = RELEASES[release]
    return {"release": name, "version": version, "branch": branch, "email_case_sensitive": DATABASES[db]}
