"""Sweep designs made on the client: grids, random and quasi-random samples, sensitivity
designs — turned into a request the API (or ``sweep run``) takes.

A design varies **factors**: a :class:`Range` (``lo..hi``, linear or log scale, integer
or real) or a :class:`Categorical` (a list of choices); other dimensions may be held
fixed. Every design first draws points in the unit hypercube, then maps each column
onto its factor, so one mapping serves all kinds:

=========  ====================================================================
kind       points in the unit cube
=========  ====================================================================
grid       every combination of ``levels`` evenly spaced values per range (and
           every choice); sent as a grid request (``dimensions``)
random     ``numpy.random.default_rng(seed).random``
lhs        ``scipy.stats.qmc.LatinHypercube`` (scrambled)
sobol      ``scipy.stats.qmc.Sobol`` (scrambled; a power-of-two ``samples`` keeps
           its balance properties)
halton     ``scipy.stats.qmc.Halton`` (scrambled)
saltelli   ``SALib.sample.sobol.sample``: N·(k + 2) points (N·(2k + 2) with
           second-order indices), in the order ``SALib.analyze.sobol`` expects
morris     ``SALib.sample.morris.sample``: ``samples`` trajectories of k + 1
           points on a ``levels``-level grid, in the order ``SALib.analyze.morris``
           expects
=========  ====================================================================

Each design is reproducible from its ``seed``. Non-grid designs travel as explicit
``points`` (DESIGN §3.6), so the Lambda never needs scipy; the request's ``design``
object records the kind, generator, seed, factors and unit-cube bounds, enough for
analysis to rebuild the SALib problem (design point ``d`` is row ``d``).

Bad factors raise :class:`~sweeplib.errors.InvalidRequest` naming the factor: unknown
dimensions, bounds the dimension does not accept, a log scale through zero.
"""

from sweeplib.designs._core import KINDS, Categorical, Design, Factor, Range, make_design
from sweeplib.designs._forms import (
    design_from_provenance,
    design_from_spec,
    parse_choice,
    parse_range,
    parse_set,
)

__all__ = [
    "KINDS",
    "Categorical",
    "Design",
    "Factor",
    "Range",
    "design_from_provenance",
    "design_from_spec",
    "make_design",
    "parse_choice",
    "parse_range",
    "parse_set",
]
