// A word counter, used by the syntax tests.
use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Read as IoRead;

const MAX_WORDS: usize = 10_000;

#[derive(Debug, Default)]
pub struct Counter {
    counts: HashMap<String, usize>,
    total: usize,
}

pub enum Mode {
    Exact,
    Folded,
}

impl Counter {
    pub fn new() -> Self {
        Counter { counts: HashMap::new(), total: 0 }
    }

    pub fn add(&mut self, text: &str, mode: Mode) -> usize {
        let mut added = 0;
        for word in text.split_whitespace() {
            let key = match mode {
                Mode::Exact => word.to_string(),
                Mode::Folded => word.to_lowercase(),
            };
            *self.counts.entry(key).or_insert(0) += 1;
            added += 1;
        }
        self.total += added;
        added
    }

    pub fn top(&self, n: usize) -> Vec<(&String, &usize)> {
        let mut pairs: Vec<_> = self.counts.iter().collect();
        pairs.sort_by(|a, b| b.1.cmp(a.1));
        pairs.truncate(n.min(MAX_WORDS));
        pairs
    }
}

fn read_all(path: &str) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    let _meta = fs::metadata(path)?;
    Ok(text)
}

fn main() {
    let mut counter = Counter::new();
    if let Ok(text) = read_all("words.txt") {
        counter.add(&text, Mode::Folded);
    }
    println!("{:?}", counter.top(5));
}
