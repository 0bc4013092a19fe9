//! The `astro` command-line tool.

fn main() {
    eprintln!("astro: the command line is being written (issue #7)");
    std::process::exit(2);
}
