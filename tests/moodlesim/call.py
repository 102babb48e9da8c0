"""What a web service function sees of the request: the site, the API user and the clock."""

import time

from .errors import required_capability


class Call:
    def __init__(self, site, user, token, base_url):
        self.site = site
        self.user = user  # the token's user ($USER)
        self.token = token
        self.settings = site.settings
        self.now = int(time.time())
        self.wwwroot = site.settings.get("wwwroot") or base_url

    def require_capability(self, capability):
        if not self.user.can(capability):
            raise required_capability(capability)

    def require_any(self, capabilities, reported):
        """has_any_capability() or a nopermissions naming `reported`."""
        if not any(self.user.can(cap) for cap in capabilities):
            raise required_capability(reported)

    def picture_url(self, size):
        return "%s/theme/image.php/boost/core/%d/u/%s" % (self.wwwroot, self.site.theme_revision, size)
