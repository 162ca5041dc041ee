// The core's proposed calibration of a print (veer::propose, crate/src/propose.rs) as
// the page holds it while a person checks it: what was found, what was not and why,
// the track edges they drag and the depth ties they retype. Accepting sends it back
// to the core (projectFromProposal), which makes the project: nothing here writes
// the project contract.

import { tracks, ties, xAlong } from '../view/proposal.js';

export { found, tracks, ties, absent, section, xAlong } from '../view/proposal.js';

/** Moves a track's edge (`side` 'left' or 'right') sideways so that it passes through column `x` at `row`. */
export function moveEdge(proposal, track, side, x, row) {
  const edge = tracks(proposal)[track]?.[side];
  if (!edge) return;
  const dx = x - xAlong(edge, row);
  edge.x0 += dx;
  edge.points = edge.points.map(([r, c]) => [r, c + dx]);
}

/**
 * What the person typed, as the core's `ProjectInput`: the depth ties (as shown, perhaps
 * retyped), the depth unit, and a curve for each track given a mnemonic and both scale
 * values (`picks[i]`: `{mnemonic, unit, left, right}` of track i).
 */
export function projectInput(proposal, picks, depthUnit) {
  const curves = [];
  picks.forEach((p, track) => {
    if (!p || !p.mnemonic.trim() || !Number.isFinite(p.left) || !Number.isFinite(p.right)) return;
    curves.push({ track, scale: [p.left, p.right], mnemonic: p.mnemonic.trim(), unit: p.unit.trim() });
  });
  return { depth: ties(proposal).map((t) => [t.row, t.depth]), depth_unit: depthUnit, curves };
}
