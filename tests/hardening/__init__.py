# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the hardening tests: a model of Moodle's input rules, hypothesis
strategies for bad input, a secret-leak scanner, the enrolment outcome invariant, and a test CA."""
