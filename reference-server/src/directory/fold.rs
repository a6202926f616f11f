/*!
Text as the directory compares it: trimmed like JavaScript's `String.prototype.trim`, and folded
so that a case-insensitive substring test becomes a plain substring test.

Why a module of its own: the index stores folded copies of every searchable field and the query
is folded the same way, so "case-insensitive" has exactly one definition, here, which the index,
the brute-force oracle of the tests and the README all point at.

Rocket.Chat builds `new RegExp(escapeRegExp(text), 'i')` and MongoDB evaluates it with PCRE in
UTF mode, where a caseless match compares characters by their Unicode simple case folding. This
module approximates simple case folding per character as `lower(upper(c))`, each step taken only
when it maps to exactly one character. So `É`/`é`, `Σ`/`σ`/`ς`, `ſ`/`s` and the Kelvin sign/`k`
are equal, while `ß` never equals `ss` (no multi-character folding) and `İ` (U+0130) only equals
itself. Regex metacharacters have no meaning here: the text is compared literally.
*/

/// JavaScript's `trim()`: Unicode `White_Space` plus the byte-order mark.
pub fn js_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}')
}

/// One character's simple case folding (see the module documentation).
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let upper = single(c.to_uppercase()).unwrap_or(c);
    single(upper.to_lowercase()).unwrap_or(upper)
}

fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
    let first = it.next()?;
    it.next().is_none().then_some(first)
}

/// The folded form of a text.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars().map(fold_char).collect()
}

/// Whether `haystack` contains `needle` case-insensitively (both unfolded). The definition the
/// index must agree with; used by the tests' brute-force oracle.
pub fn contains_folded(haystack: &str, needle: &str) -> bool {
    fold(haystack).contains(&fold(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_folds_to_lowercase() {
        assert_eq!(fold("GeNe-Therapy"), "gene-therapy");
    }

    #[test]
    fn unicode_simple_case_folding() {
        assert_eq!(fold("MÜLLER"), fold("müller"));
        assert_eq!(fold("ΣΟΦΊΑ"), fold("σοφία"));
        assert_eq!(fold_char('ς'), fold_char('Σ'));
        assert_eq!(fold_char('ſ'), 's');
        assert_eq!(fold_char('\u{212A}'), 'k', "Kelvin sign");
        assert_ne!(
            fold("straße"),
            fold("STRASSE"),
            "no multi-character folding"
        );
        assert_eq!(fold_char('İ'), 'İ');
        assert_eq!(fold("李小龍"), "李小龍");
    }

    #[test]
    fn trim_is_javascript_trim() {
        assert_eq!(js_trim(" \t\u{A0}gene\u{FEFF}\n"), "gene");
        assert_eq!(js_trim("\u{3000}"), "");
    }

    #[test]
    fn metacharacters_are_literal() {
        assert!(contains_folded("C++ (lovers) [a-z]*", "++ (LOVERS) [A-Z]*"));
        assert!(!contains_folded("dotxtest", "dot.test"));
    }
}
