// Win32 transports: see transport.hpp
