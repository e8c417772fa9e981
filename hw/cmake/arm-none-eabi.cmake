# CMake toolchain file: bare-metal Arm (arm-none-eabi GCC with newlib-nano).
# The CPU flags live here so every target, lwIP and the core included, is built
# for the same core. Override NXPOP3_ARM_CPU_FLAGS for another Cortex-M.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(NXPOP3_ARM_PREFIX "arm-none-eabi-" CACHE STRING "Prefix of the cross tools")
find_program(CMAKE_C_COMPILER ${NXPOP3_ARM_PREFIX}gcc REQUIRED)
set(CMAKE_ASM_COMPILER ${CMAKE_C_COMPILER})
find_program(CMAKE_OBJCOPY ${NXPOP3_ARM_PREFIX}objcopy)
find_program(CMAKE_SIZE ${NXPOP3_ARM_PREFIX}size)

# Compiler checks link a static library, not an executable (there is no board yet).
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(NXPOP3_ARM_CPU_FLAGS "-mcpu=cortex-m3 -mthumb" CACHE STRING "CPU flags for every object")
set(CMAKE_C_FLAGS_INIT "${NXPOP3_ARM_CPU_FLAGS} --specs=nano.specs -ffunction-sections -fdata-sections")
set(CMAKE_ASM_FLAGS_INIT "${NXPOP3_ARM_CPU_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${NXPOP3_ARM_CPU_FLAGS} -nostartfiles -Wl,--gc-sections")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
