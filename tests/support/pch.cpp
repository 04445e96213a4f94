// Compiles the precompiled Boost.Test header that every test program reuses.
