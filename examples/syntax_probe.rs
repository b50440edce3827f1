use ferry::diagnostics::FileId;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[1]).unwrap();
    let t = std::time::Instant::now();
    let r = ferry::syntax::parse_module(FileId(0), &text);
    let el = t.elapsed();
    match r {
        Ok(m) => {
            if args.len() > 2 {
                println!("{:#?}", m)
            } else {
                println!("ok {} items", m.items.len())
            }
        }
        Err(d) => println!("{:?}", d),
    }
    eprintln!("{:?}", el);
}
