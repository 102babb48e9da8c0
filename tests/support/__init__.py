# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by the tests: recorded Moodle exchanges (recorded), clients on the in-process simulator
(site), a stub for answers the simulator cannot give (moodle_stub), module arguments for in-process module
runs (module_args), people given by id and names that are awkward to quote (people), a model of Moodle's
input rules (model), hypothesis strategies for bad input (strategies), a secret-leak scanner (leaks), the
enrolment outcome invariant (invariants, flow), and a test CA (tls)."""
