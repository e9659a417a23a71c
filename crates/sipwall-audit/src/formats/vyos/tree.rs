//! The configuration tree the commands build, in order: `set` adds a path, `delete` removes a
//! subtree (as the CLI does when a script is pasted), `Open` adds a block head. Values are
//! nodes like keys (`action accept` is node `action` with child `accept`), so the tree needs no
//! schema; the interpretation knows which keys are leaves.
//!
//! Nodes live in one arena (children always after their parent), looked up through one hash
//! map, so building is linear. Every node remembers the lines that set it, and whether the
//! interpretation read it (for the coverage).

use std::cell::Cell;
use std::collections::HashMap;

use super::lines::{Command, Verb};

pub(super) type NodeId = u32;

pub(super) const ROOT: NodeId = 0;

/// "No node" / "no line" in the intrusive lists.
const NONE: u32 = u32::MAX;

/// A node: children and lines are linked lists through the arena (no allocation per node).
#[derive(Debug)]
struct Node<'a> {
    key: &'a str,
    parent: NodeId,
    first_child: NodeId,
    last_child: NodeId,
    /// The next sibling, in the order the siblings were first set.
    next: NodeId,
    /// The node's lines in `Tree::lines` (`NONE` when it has none).
    first_line: u32,
    last_line: u32,
    live: bool,
    used: Cell<bool>,
}

/// A line that set a node: a `set` command ending there, or a config.boot block head.
#[derive(Debug, Clone, Copy)]
struct LineRef {
    line: u32,
    next: u32,
}

#[derive(Debug)]
pub(super) struct Tree<'a> {
    nodes: Vec<Node<'a>>,
    lines: Vec<LineRef>,
    index: HashMap<(NodeId, &'a str), NodeId>,
    /// The path of the last `set` and its nodes: consecutive commands share most of their
    /// path, so only the words after the shared prefix are looked up.
    last: Vec<(&'a str, NodeId)>,
    /// Lines whose nodes a later `delete` removed (read and superseded).
    pub dead_lines: Vec<u32>,
    /// Lines of config.boot block heads (classified by what is below them).
    heads: Vec<(u32, NodeId)>,
}

fn node<'a>(key: &'a str, parent: NodeId) -> Node<'a> {
    Node {
        key,
        parent,
        first_child: NONE,
        last_child: NONE,
        next: NONE,
        first_line: NONE,
        last_line: NONE,
        live: true,
        used: Cell::new(false),
    }
}

impl<'a> Tree<'a> {
    /// A tree for about `commands` commands (each adds a node or two).
    pub fn with_capacity(commands: usize) -> Tree<'a> {
        let mut nodes = Vec::with_capacity(commands.saturating_mul(2).saturating_add(1));
        nodes.push(node("", ROOT));
        Tree {
            nodes,
            lines: Vec::with_capacity(commands),
            index: HashMap::with_capacity(commands.saturating_mul(2)),
            last: Vec::new(),
            dead_lines: Vec::new(),
            heads: Vec::new(),
        }
    }

    pub fn apply(&mut self, command: &Command<'a>) {
        match command.verb {
            Verb::Set | Verb::Open => {
                let node = self.ensure(&command.path);
                self.add_line(node, command.line);
                if command.verb == Verb::Open {
                    self.heads.push((command.line, node));
                }
            }
            Verb::Delete => {
                if let Some(node) = self.find(ROOT, &command.path)
                    && node != ROOT
                {
                    self.remove(node);
                    // Cached nodes may be gone.
                    self.last.clear();
                }
            }
        }
    }

    fn node(&self, id: NodeId) -> &Node<'a> {
        // Ids come from this arena only; the fallback is the root, never a panic.
        self.nodes.get(id as usize).unwrap_or(&self.nodes[0])
    }

    fn node_mut(&mut self, id: NodeId) -> &mut Node<'a> {
        let index = if (id as usize) < self.nodes.len() {
            id as usize
        } else {
            0
        };
        &mut self.nodes[index]
    }

    fn add_line(&mut self, node: NodeId, line: u32) {
        let at = self.lines.len() as u32;
        self.lines.push(LineRef { line, next: NONE });
        let last = self.node(node).last_line;
        if let Some(previous) = self.lines.get_mut(last as usize) {
            previous.next = at;
        } else {
            self.node_mut(node).first_line = at;
        }
        self.node_mut(node).last_line = at;
    }

    fn ensure(&mut self, path: &[&'a str]) -> NodeId {
        let shared = self
            .last
            .iter()
            .zip(path.iter())
            .take_while(|((cached, _), key)| cached == *key)
            .count();
        self.last.truncate(shared);
        let mut at = self.last.last().map_or(ROOT, |(_, node)| *node);
        for key in path.iter().skip(shared) {
            at = match self.index.get(&(at, *key)) {
                Some(&child) => child,
                None => {
                    let id = self.nodes.len() as NodeId;
                    self.nodes.push(node(key, at));
                    self.index.insert((at, *key), id);
                    let last = self.node(at).last_child;
                    if last == NONE {
                        self.node_mut(at).first_child = id;
                    } else {
                        self.node_mut(last).next = id;
                    }
                    self.node_mut(at).last_child = id;
                    id
                }
            };
            self.last.push((key, at));
        }
        at
    }

    fn remove(&mut self, node: NodeId) {
        let (parent, key) = {
            let n = self.node(node);
            (n.parent, n.key)
        };
        self.index.remove(&(parent, key));
        self.node_mut(node).live = false;
        let mut dead = Vec::new();
        self.walk(node, |tree, n| dead.extend(tree.own_lines(n)));
        self.dead_lines.extend(dead);
    }

    /// The lines of one node.
    fn own_lines(&self, node: &Node<'a>) -> impl Iterator<Item = u32> + '_ {
        let mut at = node.first_line;
        std::iter::from_fn(move || {
            let line = self.lines.get(at as usize)?;
            at = line.next;
            Some(line.line)
        })
    }

    /// All children, live or not, in order.
    fn all_children(&self, node: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let mut at = self.node(node).first_child;
        std::iter::from_fn(move || {
            if at == NONE {
                return None;
            }
            let id = at;
            at = self.node(id).next;
            Some(id)
        })
    }

    /// Visits `node` and everything below it (live or not), without recursion.
    fn walk(&self, node: NodeId, mut visit: impl FnMut(&Self, &Node<'a>)) {
        let mut stack = vec![node];
        while let Some(id) = stack.pop() {
            visit(self, self.node(id));
            stack.extend(self.all_children(id));
        }
    }

    pub fn key(&self, node: NodeId) -> &'a str {
        self.node(node).key
    }

    pub fn child(&self, node: NodeId, key: &str) -> Option<NodeId> {
        self.index.get(&(node, key)).copied()
    }

    pub fn find(&self, from: NodeId, path: &[&str]) -> Option<NodeId> {
        path.iter().try_fold(from, |at, key| self.child(at, key))
    }

    /// Live children in the order they were first set.
    pub fn children(&self, node: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.all_children(node).filter(|&c| self.node(c).live)
    }

    /// The value of leaf `key` under `node` (its last live child: a later `set` of a
    /// single-valued leaf replaces the earlier one), with the leaf node. Marks the leaf read.
    pub fn value(&self, node: NodeId, key: &str) -> Option<(&'a str, NodeId)> {
        let leaf = self.child(node, key)?;
        self.mark_tree(leaf);
        let value = self.children(leaf).last()?;
        Some((self.key(value), leaf))
    }

    /// Every value of a multi-valued leaf `key` under `node`. Marks the leaf read.
    pub fn values(&self, node: NodeId, key: &str) -> Vec<&'a str> {
        match self.child(node, key) {
            Some(leaf) => {
                self.mark_tree(leaf);
                self.children(leaf).map(|c| self.key(c)).collect()
            }
            None => Vec::new(),
        }
    }

    /// Marks the child `key` of `node` and everything below it read, when present (a key
    /// known to have no bearing on the facts).
    pub fn mark_child(&self, node: NodeId, key: &str) {
        if let Some(child) = self.child(node, key) {
            self.mark_tree(child);
        }
    }

    /// Marks one node read (its own lines).
    pub fn mark(&self, node: NodeId) {
        self.node(node).used.set(true);
    }

    /// Marks a node and everything below it read.
    pub fn mark_tree(&self, node: NodeId) {
        self.walk(node, |_, n| n.used.set(true));
    }

    /// The lines of a node and everything live below it, sorted.
    pub fn lines_of(&self, node: NodeId) -> Vec<u32> {
        let mut out = Vec::new();
        let mut stack = vec![node];
        while let Some(id) = stack.pop() {
            out.extend(self.own_lines(self.node(id)));
            stack.extend(self.children(id));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The first line of a node's subtree, for evidence pointing at where it is defined.
    pub fn first_line(&self, node: NodeId) -> Option<u32> {
        self.lines_of(node).first().copied()
    }

    /// Every line the interpretation read (or a `delete` superseded), as per-line flags.
    pub fn usage(&self, line_count: usize) -> Usage {
        let mut used = vec![false; line_count];
        let mut mark = |line: u32| {
            if let Some(slot) = used.get_mut((line as usize).wrapping_sub(1)) {
                *slot = true;
            }
        };
        for node in &self.nodes {
            if node.used.get() {
                self.own_lines(node).for_each(&mut mark);
            }
        }
        for &line in &self.dead_lines {
            mark(line);
        }
        Usage { used }
    }

    /// For every block head, the best rank of the lines below it (`rank` gives each line's
    /// rank, 0 for none). Children come after their parents in the arena, so one backward
    /// pass folds them up.
    pub fn heads_ranked(&self, rank: impl Fn(u32) -> u8) -> Vec<(u32, u8)> {
        let mut best = vec![0u8; self.nodes.len()];
        for (id, node) in self.nodes.iter().enumerate().rev() {
            let own = self.own_lines(node).map(&rank).max().unwrap_or(0);
            let mine = best.get(id).copied().unwrap_or(0).max(own);
            if let Some(slot) = best.get_mut(id) {
                *slot = mine;
            }
            if id != 0
                && let Some(slot) = best.get_mut(node.parent as usize)
            {
                *slot = (*slot).max(mine);
            }
        }
        self.heads
            .iter()
            .map(|&(line, node)| (line, best.get(node as usize).copied().unwrap_or(0)))
            .collect()
    }
}

pub(super) struct Usage {
    used: Vec<bool>,
}

impl Usage {
    pub fn used(&self, line: u32) -> bool {
        self.used
            .get((line as usize).wrapping_sub(1))
            .copied()
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set<'a>(path: &'a str, line: u32) -> Command<'a> {
        Command {
            verb: Verb::Set,
            path: path.split(' ').collect(),
            line,
        }
    }

    #[test]
    fn set_delete_and_values() {
        let mut tree = Tree::with_capacity(8);
        tree.apply(&set("firewall name X rule 10 action accept", 1));
        tree.apply(&set("firewall name X rule 10 action drop", 2));
        tree.apply(&set("firewall name X rule 10 state established", 3));
        tree.apply(&set("firewall name X rule 10 state related", 4));
        let rule = tree
            .find(ROOT, &["firewall", "name", "X", "rule", "10"])
            .unwrap();
        assert_eq!(tree.value(rule, "action").map(|v| v.0), Some("drop"));
        assert_eq!(tree.values(rule, "state"), vec!["established", "related"]);
        assert_eq!(tree.lines_of(rule), vec![1, 2, 3, 4]);
        tree.apply(&Command {
            verb: Verb::Delete,
            path: vec!["firewall", "name", "X"],
            line: 5,
        });
        assert!(tree.find(ROOT, &["firewall", "name", "X"]).is_none());
        assert_eq!(tree.dead_lines.len(), 4);
        tree.apply(&set("firewall name X default-action drop", 6));
        let chain = tree.find(ROOT, &["firewall", "name", "X"]).unwrap();
        assert!(tree.child(chain, "rule").is_none());
        let usage = tree.usage(6);
        assert!(usage.used(1) && usage.used(4) && !usage.used(6));
    }
}
