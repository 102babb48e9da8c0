"""The web service functions the simulator implements, by wsfunction name."""

from . import cohorts, siteinfo, users


class Function:
    """A row of external_functions with its parameter and return descriptions."""

    def __init__(self, name, parameters, returns, handler):
        self.name = name
        self.parameters = parameters
        self.returns = returns
        self.handler = handler


FUNCTIONS = {}
for _module in (users, cohorts, siteinfo):
    for _name, (_parameters, _returns, _handler) in _module.FUNCTIONS.items():
        FUNCTIONS[_name] = Function(_name, _parameters, _returns, _handler)
