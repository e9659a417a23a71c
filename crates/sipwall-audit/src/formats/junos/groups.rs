//! `groups` / `apply-groups`: a group's statements take effect where the group is applied
//! (`apply-groups G` at the top applies all of G; at `interfaces` only G's `interfaces …`).
//! Simple cases are flattened into inherited statements, read before the configuration's own
//! so the configuration wins (Junos: "statements in the configuration take precedence").
//! Wildcards (`<*>`), `apply-groups-except`, groups applied inside groups and undefined groups
//! are not followed; their lines stay unknown.

use std::collections::{HashMap, HashSet};

use super::stmt::Stmt;

/// What an original statement is to the group machinery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Ordinary configuration.
    Config,
    /// A statement inside `groups NAME …`; it acts only through its inherited copies.
    GroupDef,
    /// `apply-groups …`; `ok` when every group it names was found and flattened.
    Apply { ok: bool },
}

#[derive(Debug, Default)]
pub struct Expanded<'a> {
    /// Inherited statements with the index of the group statement each was copied from.
    pub inherited: Vec<(usize, Stmt<'a>)>,
    pub roles: Vec<Role>,
    /// Group statements whose effect is not followed: wildcard paths of applied groups, and
    /// groups named by `apply-groups-except` or by an `apply-groups` inside a group. Other
    /// group statements without an inherited copy have no effect (their group is not applied
    /// there, or not at all).
    pub undetermined: Vec<bool>,
}

/// Upper bound on (group statement × application) checks, to stay linear on hostile input.
const BUDGET: usize = 2_000_000;

fn apply_position(stmt: &Stmt<'_>) -> Option<usize> {
    stmt.words
        .iter()
        .position(|w| w.text == "apply-groups" || w.text == "apply-groups-except")
}

/// Group names an `apply-groups` statement lists after position `at`.
fn names(stmt: &Stmt<'_>, at: usize) -> Vec<String> {
    let mut out = Vec::new();
    for word in stmt.tail(at + 1) {
        match word {
            "[" | "]" => {}
            // Chassis-cluster node groups: `${node}` is node0 on one node, node1 on the other.
            "${node}" => {
                out.push("node0".to_string());
                out.push("node1".to_string());
            }
            name => out.push(name.to_string()),
        }
    }
    out
}

pub fn expand<'a>(stmts: &[Stmt<'a>]) -> Expanded<'a> {
    let mut roles: Vec<Role> = Vec::with_capacity(stmts.len());
    let mut by_group: HashMap<&str, Vec<usize>> = HashMap::new();
    let positions: Vec<Option<usize>> = stmts.iter().map(apply_position).collect();
    for (i, stmt) in stmts.iter().enumerate() {
        if stmt.word(0) == "groups" {
            roles.push(Role::GroupDef);
            if stmt.len() > 2 {
                by_group.entry(stmt.word(1)).or_default().push(i);
            }
        } else if positions.get(i).copied().flatten().is_some() {
            roles.push(Role::Apply { ok: false });
        } else {
            roles.push(Role::Config);
        }
    }
    // Groups named where this module does not follow the application.
    let mut unfollowed: HashSet<String> = HashSet::new();
    let mut followed: HashSet<String> = HashSet::new();
    for (stmt, position) in stmts.iter().zip(&positions) {
        if let Some(at) = *position {
            let nested = stmt.word(0) == "groups" || stmt.word(at) == "apply-groups-except";
            let target = if nested {
                &mut unfollowed
            } else {
                &mut followed
            };
            target.extend(names(stmt, at));
        }
    }
    let undetermined = stmts
        .iter()
        .zip(&roles)
        .map(|(stmt, role)| {
            *role == Role::GroupDef
                && (unfollowed.contains(stmt.word(1))
                    || (followed.contains(stmt.word(1))
                        && stmt.words.iter().any(|w| w.text.starts_with('<'))))
        })
        .collect();
    let mut inherited = Vec::new();
    let mut done: HashSet<(Vec<String>, String)> = HashSet::new();
    let mut budget = BUDGET;
    for (i, stmt) in stmts.iter().enumerate() {
        if roles.get(i) != Some(&Role::Apply { ok: false }) {
            continue;
        }
        let Some(at) = positions.get(i).copied().flatten() else {
            continue;
        };
        if stmt.word(at) == "apply-groups-except" {
            continue;
        }
        let prefix: Vec<String> = stmt
            .words
            .get(..at)
            .unwrap_or(&[])
            .iter()
            .map(|w| w.text.to_string())
            .collect();
        let mut ok = true;
        for name in names(stmt, at) {
            let Some(members) = by_group.get(name.as_str()) else {
                ok = false;
                continue;
            };
            if !done.insert((prefix.clone(), name.clone())) {
                continue;
            }
            for &j in members {
                if budget == 0 {
                    ok = false;
                    break;
                }
                budget -= 1;
                let Some(def) = stmts.get(j) else { continue };
                let body = def.words.get(2..).unwrap_or(&[]);
                let matches_prefix =
                    body.len() > prefix.len() && prefix.iter().zip(body).all(|(p, w)| *p == w.text);
                if !matches_prefix || body.iter().any(|w| w.text.starts_with('<')) {
                    continue;
                }
                if body.iter().any(|w| w.text == "apply-groups") {
                    continue;
                }
                inherited.push((
                    j,
                    Stmt {
                        words: body.to_vec(),
                        inactive: def.inactive || stmt.inactive,
                        line: def.line,
                        last_line: def.last_line,
                        start: def.start,
                        end: def.end,
                    },
                ));
            }
        }
        if let Some(role) = roles.get_mut(i) {
            *role = Role::Apply { ok };
        }
    }
    Expanded {
        inherited,
        roles,
        undetermined,
    }
}

#[cfg(test)]
mod tests {
    use super::super::stmt::Word;
    use super::*;

    fn stmt(text: &str, line: u32) -> Stmt<'_> {
        Stmt {
            words: text
                .split(' ')
                .map(|w| Word {
                    text: w.into(),
                    start: 0,
                    end: 0,
                })
                .collect(),
            inactive: false,
            line,
            last_line: line,
            start: 0,
            end: 0,
        }
    }

    #[test]
    fn top_level_and_nested_application() {
        let stmts = vec![
            stmt("groups g1 security alg sip disable", 1),
            stmt("groups g1 system host-name x", 2),
            stmt("groups g2 interfaces <ge-*> mtu 9000", 3),
            stmt("groups g3 interfaces ge-0/0/0 unit 0", 4),
            stmt("groups g3 system ntp", 5),
            stmt("apply-groups [ g1 g2 ]", 6),
            stmt("interfaces apply-groups g3", 7),
            stmt("apply-groups missing", 8),
        ];
        let expanded = expand(&stmts);
        let got: Vec<(usize, String)> = expanded
            .inherited
            .iter()
            .map(|(j, s)| (*j, s.tail(0).join(" ")))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, "security alg sip disable".to_string()),
                (1, "system host-name x".to_string()),
                (3, "interfaces ge-0/0/0 unit 0".to_string()),
            ]
        );
        assert_eq!(expanded.roles[0], Role::GroupDef);
        assert_eq!(expanded.roles[5], Role::Apply { ok: true });
        assert_eq!(expanded.roles[6], Role::Apply { ok: true });
        assert_eq!(expanded.roles[7], Role::Apply { ok: false });
        assert_eq!(expanded.inherited[0].1.line, 1);
        // The wildcard statement of an applied group is not followed; g3's `system ntp` has
        // no effect (g3 is applied under `interfaces` only).
        assert_eq!(
            expanded.undetermined,
            vec![false, false, true, false, false, false, false, false]
        );
    }
}
