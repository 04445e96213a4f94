# bench.scheduler: memory per pending intent and fire throughput of the
# Scheduler actor (see scheduler.bench.cpp).
add_executable(bench.scheduler scheduler.bench.cpp)
target_link_libraries(bench.scheduler PRIVATE timecontrol benchmark::benchmark)
target_include_directories(bench.scheduler PRIVATE "${PROJECT_SOURCE_DIR}")
