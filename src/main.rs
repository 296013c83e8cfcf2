fn main() {
    std::process::exit(gilsim::entry::main(std::env::args_os().collect()))
}
