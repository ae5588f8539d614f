//! The tape: a fixed-capacity list of nodes, each an op with its inputs and
//! the place of its output in the arena. It lists itself, one node a line:
//! `#4 tanh(#3) [32×16]`.

use crate::ops::Op;
use crate::shape::{NodeId, Shape};
use core::fmt;

/// One recorded operation: what it computes, from which nodes, and where its
/// output lives (in the parameter arena for `Op::Param`, else the value arena).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Node {
    pub(crate) op: Op,
    pub(crate) inputs: [NodeId; 3],
    pub(crate) offset: u32,
    pub(crate) len: u32,
    /// Rows of a batched tensor; 0 for parameters and scalars.
    pub(crate) batch: u16,
    /// Shape of one sample (or of the whole tensor when not batched).
    pub(crate) dims: [u32; 4],
    pub(crate) rank: u8,
    /// Whether a parameter lies upstream, so that backward must visit it.
    pub(crate) needs_grad: bool,
}

impl Node {
    /// A placeholder to fill tape arrays with: `[Node::EMPTY; N]` (all zero
    /// bytes, so a `static` tape lands in `.bss`, not in flash).
    pub const EMPTY: Node = Node {
        op: Op::Input,
        inputs: [0; 3],
        offset: 0,
        len: 0,
        batch: 0,
        dims: [0; 4],
        rank: 0,
        needs_grad: false,
    };

    pub(crate) fn new<S: Shape>(op: Op, inputs: [NodeId; 3], batch: usize) -> Node {
        let dims = S::DIMS.map(|d| d as u32);
        let len = S::SIZE * batch.max(1);
        Node {
            op,
            inputs,
            offset: 0,
            len: len as u32,
            batch: batch as u16,
            dims,
            rank: S::RANK as u8,
            needs_grad: false,
        }
    }

    /// The op.
    pub fn op(&self) -> &Op {
        &self.op
    }

    /// The ids of the nodes this one reads.
    pub fn inputs(&self) -> &[NodeId] {
        self.inputs.get(..self.op.arity()).unwrap_or(&[])
    }

    /// Number of elements of the output (all rows of a batch).
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the output has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether this node's values live in the parameter arena.
    pub fn is_param(&self) -> bool {
        matches!(self.op, Op::Param(_))
    }

    /// Where the output lives in its arena: the parameter arena for a
    /// parameter (so `graph.params()[node.range()]` is its tensor), else
    /// the value arena. (For a parameter read in place from flash, a byte
    /// range in the weights' data section.)
    pub fn range(&self) -> core::ops::Range<usize> {
        self.offset as usize..(self.offset + self.len) as usize
    }

    /// Elements in the first `rows` rows (every element when not batched).
    pub(crate) fn len_for(&self, rows: usize) -> usize {
        if self.batch == 0 {
            self.len as usize
        } else {
            self.len as usize / self.batch as usize * rows
        }
    }
}

/// Writes `#id op(#a, #b) [dims]`.
pub(crate) fn write_node(f: &mut fmt::Formatter<'_>, id: usize, n: &Node) -> fmt::Result {
    write!(f, "#{id} {}", n.op)?;
    if let Op::Param(p) = n.op {
        write!(f, " {}.{}", p.layer, p.kind.suffix())?;
    }
    if !n.inputs().is_empty() {
        f.write_str("(")?;
        for (i, input) in n.inputs().iter().enumerate() {
            write!(f, "{}#{input}", if i == 0 { "" } else { ", " })?;
        }
        f.write_str(")")?;
    }
    f.write_str(" [")?;
    let mut first = true;
    if n.batch > 0 {
        write!(f, "{}", n.batch)?;
        first = false;
    }
    for d in n.dims.iter().take(n.rank as usize) {
        write!(f, "{}{d}", if first { "" } else { "×" })?;
        first = false;
    }
    f.write_str("]")
}

/// A `Display` view of a recorded tape.
pub struct Listing<'t> {
    pub(crate) nodes: &'t [Node],
}

impl fmt::Display for Listing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.nodes.iter().enumerate() {
            write_node(f, i, n)?;
            f.write_str("\n")?;
        }
        Ok(())
    }
}
