fn main() {
    for path in std::env::args().skip(1) {
        let mut sources = ferry::diagnostics::SourceMap::default();
        let loaded = ferry::syntax::load(std::path::Path::new(&path), &mut sources);
        let mut diags = loaded.diagnostics;
        if !loaded.modules.is_empty() {
            let env = ferry::check::Environment {
                schemas: ferry::connectors::schemas(),
                functions: ferry::functions::Registry::standard(),
            };
            diags.extend(ferry::check::check(&loaded.modules, &sources, &env).diagnostics);
        }
        for d in &diags {
            eprint!(
                "{}",
                ferry::diagnostics::render::to_terminal(d, &sources, false)
            );
        }
        eprintln!("{path}: {} diagnostics", diags.len());
    }
}
