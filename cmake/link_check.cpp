// Linked with one module library whole (every object of it) and only the libraries that module
// declares: a module that calls into one it does not link fails to link here, at build time.
int main() { return 0; }
