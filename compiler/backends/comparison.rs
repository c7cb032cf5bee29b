//! What every backend's catalog comparison (`<backend>/compare.rs`) shares:
//! pairing two lists of objects by key, and recording differences as
//! [`Difference`]s. The comparisons themselves — which properties count and
//! how they are spelled — stay with each backend.

use std::collections::{BTreeMap, BTreeSet};

use super::Difference;

/// What stands for a missing side of a difference.
pub const NONE: &str = "(none)";

/// Pairs the objects of two lists by key: both, expected only, actual only.
pub fn matched<'a, T, K: Ord + Clone>(
    expected: &'a [T],
    actual: &'a [T],
    key: impl Fn(&T) -> K,
) -> Vec<(Option<&'a T>, Option<&'a T>)> {
    let found: BTreeMap<K, &T> = actual.iter().map(|a| (key(a), a)).collect();
    let mut seen = BTreeSet::new();
    let mut pairs: Vec<_> = expected
        .iter()
        .map(|e| {
            seen.insert(key(e));
            (Some(e), found.get(&key(e)).copied())
        })
        .collect();
    pairs.extend(actual.iter().filter(|a| !seen.contains(&key(a))).map(|a| (None, Some(a))));
    pairs
}

/// The differences found so far.
#[derive(Default)]
pub struct Differences {
    pub found: Vec<Difference>,
}

impl Differences {
    pub fn differ(&mut self, object: impl Into<String>, expected: impl Into<String>, actual: impl Into<String>) {
        self.found.push(Difference { object: object.into(), expected: expected.into(), actual: actual.into() });
    }

    /// A difference when the two texts are not the same.
    pub fn text(&mut self, object: &str, expected: &str, actual: &str) {
        if expected != actual {
            self.differ(object, expected, actual);
        }
    }

    /// An object on one side only.
    pub fn presence(&mut self, object: String, expected_only: bool) {
        if expected_only {
            self.differ(object, "present", NONE);
        } else {
            self.differ(object, NONE, "present");
        }
    }
}

/// A comparison in progress: the shared recorder, with each backend's rules
/// written as `impl Comparison<Backend> { … }` in its own `compare.rs`
/// (`B` only tells the backends' rules apart).
pub struct Comparison<B> {
    pub differences: Differences,
    backend: std::marker::PhantomData<B>,
}

impl<B> Default for Comparison<B> {
    fn default() -> Self {
        Comparison { differences: Differences::default(), backend: std::marker::PhantomData }
    }
}

impl<B> std::ops::Deref for Comparison<B> {
    type Target = Differences;
    fn deref(&self) -> &Differences {
        &self.differences
    }
}

impl<B> std::ops::DerefMut for Comparison<B> {
    fn deref_mut(&mut self) -> &mut Differences {
        &mut self.differences
    }
}
