/**
 * The candidate token tree of one speculative step and its verification walk.
 *
 * Node 0 is the root: the last token already committed. Every other node is a drafted candidate
 * for the position after its parent. The target scores all nodes in one forward pass (tree
 * attention mask: a node sees the committed sequence and its own ancestors), giving for each node
 * the distribution of the token that follows it. The walk accepts at most one child per level;
 * when it stops it emits one more token (residual sample, or the bonus token after a leaf), so every
 * step commits at least one token.
 */
import { type Candidate, type Neighbourhoods, verifyGreedy, verifySampled } from './acceptance';

export interface TreeNode extends Candidate {
  /** Index of the parent node; -1 for the root. */
  parent: number;
}

/** Children of every node, in candidate order (the order acceptance tries them). */
export function childrenOf(nodes: readonly TreeNode[]): number[][] {
  const children: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    if (i === 0) return;
    if (n.parent < 0 || n.parent >= i) throw new Error(`tree node ${i}: parent ${n.parent} must come before it`);
    children[n.parent].push(i);
  });
  return children;
}

/** Tree attention mask over the drafted nodes: row i has 1 for i's ancestors (root excluded) and itself. */
export function ancestorMask(nodes: readonly TreeNode[]): Uint8Array[] {
  return nodes.map((_, i) => {
    const row = new Uint8Array(nodes.length);
    for (let j = i; j > 0; j = nodes[j].parent) row[j] = 1;
    return row;
  });
}

export interface WalkResult {
  /** Accepted node indices, root excluded, in order. */
  path: number[];
  /** The token emitted after the accepted path. */
  next: number;
}

/**
 * Verifies a tree. `target(i)` is the target's (processed) distribution after node i; in greedy mode
 * pass `argmax(i)` instead and no uniforms are drawn.
 */
export function walkTree(
  nodes: readonly TreeNode[],
  mode: { kind: 'sample'; target: (node: number) => Float32Array; uniform: () => number } | { kind: 'greedy'; argmax: (node: number) => number },
  relaxed?: Neighbourhoods,
): WalkResult {
  const children = childrenOf(nodes);
  const path: number[] = [];
  let at = 0;
  for (;;) {
    const kids = children[at];
    const cands = kids.map((k) => nodes[k]);
    const outcome = mode.kind === 'greedy' ? verifyGreedy(mode.argmax(at), cands, relaxed) : verifySampled(mode.target(at), cands, mode.uniform, relaxed);
    if (outcome.accepted < 0) return { path, next: outcome.token };
    at = kids[outcome.accepted];
    path.push(at);
  }
}
