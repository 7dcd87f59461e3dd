#pragma once
// The dashboard page's files (examples/common/dashboard/*), embedded at build time by
// cmake/awsdl_embed_files.cmake into dashboard_assets.cpp in the build tree.
#include <cstddef>

namespace awsdl_dash {

struct DashboardAsset {
  const char* name;  // the file name: index.html, dashboard.js, dashboard.css
  const unsigned char* data;
  std::size_t size;
};
extern const DashboardAsset kDashboardAssets[];
extern const std::size_t kDashboardAssetCount;

}  // namespace awsdl_dash
