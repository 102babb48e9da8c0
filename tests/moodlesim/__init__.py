"""moodlesim: a stateful simulator of Moodle's REST web service endpoint.

from moodlesim import Simulator, TOKENS
with Simulator(seed="transcript-site").start() as sim:
    requests.post(sim.url + "/webservice/rest/server.php", data={"wstoken": TOKENS["TOKEN_OK"], ...})
"""

from .seed import TOKENS
from .server import Simulator

__all__ = ["Simulator", "TOKENS"]
