# Debian packages from the build (CPack; `cpack -G DEB` in a build configured
# with -DCMAKE_INSTALL_PREFIX=/usr):
#   librdssecure0     the shared library, its licence, notice and changelog
#   librdssecure-dev  headers, librdssecure.so, the static library, rdssecure.pc,
#                     the CMake package, the man 3 pages
#   rdssecure         the command-line tool and its man page
# The runtime package's dependencies come from dpkg-shlibdeps; the others
# depend on it at exactly this version.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME librdssecure)
set(CPACK_PACKAGE_VENDOR "The librdssecure authors")
set(CPACK_PACKAGE_CONTACT "librdssecure maintainers <maintainers@librdssecure.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_STRIP_FILES ON) # debug information stays in the build
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev cli)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/librdssecure/librdssecure")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME librdssecure0)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
    "Verified TLS to Amazon RDS: the shared library\nWraps the connect calls of libpq and MariaDB Connector/C so that every\nconnection to Amazon RDS is TLS, verified against the RDS CA bundle (embedded)\nand checked against the host name, with typed errors.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME librdssecure-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "librdssecure0 (= ${PROJECT_VERSION}), libpq-dev, libmariadb-dev, libssl-dev")
set(CPACK_DEBIAN_DEV_DESCRIPTION
    "Verified TLS to Amazon RDS: development files\nHeaders, the static library, rdssecure.pc, the CMake package and the\nman 3 pages of librdssecure.")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME rdssecure)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION database)
# its own library is not known to dpkg-shlibdeps yet: named here, the rest found
set(CPACK_DEBIAN_CLI_PACKAGE_DEPENDS "librdssecure0 (= ${PROJECT_VERSION}), libcjson1, libssl3, libpq5, libmariadb3")
set(CPACK_DEBIAN_CLI_DESCRIPTION
    "Verified TLS to Amazon RDS: the rdssecure command\nConnect over verified TLS, probe a server's certificate without credentials,\ninspect the RDS CA bundle and check its expiry.")
include(CPack)
