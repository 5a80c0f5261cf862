// The translation unit that owns the test executables' precompiled header (tests/CMakeLists.txt,
// pipescope_test_pch): REUSE_FROM needs a target to build the header once.
