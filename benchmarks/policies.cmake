# bench.policies: ns per decision of each policy (see policies.bench.cpp).
add_executable(bench.policies policies.bench.cpp)
target_link_libraries(bench.policies PRIVATE timecontrol benchmark::benchmark)
