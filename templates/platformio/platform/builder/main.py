"""SCons build script of fwgen's PlatformIO platform.

Compiles the project's src/ with the arm-none-eabi-gcc on PATH (Debian's gcc-arm-none-eabi),
using the CPU flags, compiler and linker flags and linker script named in the board definition
(boards/*.json, rendered by fwgen from boards/<id>.yaml; the flags are defined once, in
fwgen.project.toolchain). Targets: the ELF, a .bin and a .hex beside it, `size`, and `upload`:
with `upload_protocol = custom` (what `fwgen build` writes for a board) it runs the project's
`upload_command` (the command `fwgen flash` runs) on the image format named by
`custom_fwgen_upload_format`; other protocols are refused with a pointer to `fwgen flash`.
"""
import shutil
import sys

from SCons.Script import AlwaysBuild, Builder, Default, DefaultEnvironment

env = DefaultEnvironment()
board = env.BoardConfig()

if shutil.which("arm-none-eabi-gcc") is None:
    sys.stderr.write("fwgen platform: arm-none-eabi-gcc is not on PATH "
                     "(Debian: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)\n")
    env.Exit(1)

env.Replace(
    AR="arm-none-eabi-gcc-ar",
    AS="arm-none-eabi-as",
    CC="arm-none-eabi-gcc",
    CXX="arm-none-eabi-g++",
    GDB="arm-none-eabi-gdb",
    OBJCOPY="arm-none-eabi-objcopy",
    RANLIB="arm-none-eabi-gcc-ranlib",
    SIZETOOL="arm-none-eabi-size",
    PROGNAME="firmware",
    PROGSUFFIX=".elf",
    SIZEPROGREGEXP=r"^(?:\.isr_vector|\.text|\.fwgen_weights|\.fwgen_tables|\.rodata|\.ARM\.exidx|\.data)\s+(\d+).*",
    SIZEDATAREGEXP=r"^(?:\.data|\.bss|\.fwgen_arena|\.stack)\s+(\d+).*",
    SIZECHECKCMD="$SIZETOOL -A -d $SOURCES",
    SIZEPRINTCMD="$SIZETOOL -B -d $SOURCES",
)

flags = {key: board.get(f"build.fwgen.{key}", None) for key in ("cpu_flags", "cflags", "ldflags", "libs")}
if any(value is None for value in flags.values()):
    sys.stderr.write("fwgen platform: the board definition has no build.fwgen.%s "
                     "(rendered by an older fwgen: regenerate the project)\n"
                     % ", ".join(k for k, v in flags.items() if v is None))
    env.Exit(1)
cpu_flags = list(flags["cpu_flags"])
env.Append(
    ASFLAGS=cpu_flags,
    ASPPFLAGS=["-x", "assembler-with-cpp"],
    CCFLAGS=cpu_flags + list(flags["cflags"]),
    # Reports only (memory use on the console, a map file): they do not change the image.
    LINKFLAGS=cpu_flags + list(flags["ldflags"]) + [
        "-Wl,--print-memory-usage", "-Wl,-Map,${BUILD_DIR}/firmware.map",
    ],
    LIBS=list(flags["libs"]),
    BUILDERS=dict(
        ElfToBin=Builder(action=env.VerboseAction(
            "$OBJCOPY -O binary $SOURCES $TARGET", "Building $TARGET"), suffix=".bin"),
        ElfToHex=Builder(action=env.VerboseAction(
            "$OBJCOPY -O ihex $SOURCES $TARGET", "Building $TARGET"), suffix=".hex"),
    ),
)
ldscript = board.get("build.ldscript", "")
if ldscript:
    env.Replace(LDSCRIPT_PATH=ldscript)

target_elf = env.BuildProgram()
target_bin = env.ElfToBin("$BUILD_DIR/${PROGNAME}", target_elf)
target_hex = env.ElfToHex("$BUILD_DIR/${PROGNAME}", target_elf)
target_size = env.Alias("size", target_elf, env.VerboseAction("$SIZEPRINTCMD", "Calculating size $SOURCE"))
AlwaysBuild(target_size)
Default([env.Alias("buildprog", [target_bin, target_hex])])

images = {"elf": target_elf, "hex": target_hex, "bin": target_bin}
if env.subst("$UPLOAD_PROTOCOL") == "custom":
    upload_format = env.GetProjectOption("custom_fwgen_upload_format", "elf")
    if upload_format not in images:
        sys.stderr.write("fwgen platform: custom_fwgen_upload_format must be one of %s, not %r\n"
                         % (", ".join(images), upload_format))
        env.Exit(1)
    upload_actions = [env.VerboseAction("$UPLOADCMD", "Uploading $SOURCE")]
    upload_source = images[upload_format]
else:
    def refuse_upload(target, source, env):
        sys.stderr.write("fwgen platform: no upload command for upload_protocol = %s: regenerate "
                         "the project with fwgen build (it writes upload_protocol = custom with "
                         "the board's flash command), or flash with fwgen flash\n"
                         % env.subst("$UPLOAD_PROTOCOL"))
        return 1
    upload_actions = [env.Action(refuse_upload, None)]
    upload_source = target_elf
env.AddPlatformTarget("upload", upload_source, upload_actions, "Upload")
