#pragma once
/// @file export.hpp
/// Symbol visibility for the SDK library. Plugins are built with hidden visibility;
/// everything the host and plugins share (interfaces with virtual functions, their
/// type_info) is exported from libnoisegraph_sdk so dynamic_cast works across libraries.
#define NG_API __attribute__((visibility("default")))
