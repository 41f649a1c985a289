/* The dashboard's files (ui/), served by api/ui.c. Each has a start and an end symbol. */
	.section .rodata
#define ASSET(sym, file) \
	.global sym; .type sym, @object; sym: .incbin file; \
	.global sym##_end; sym##_end:
ASSET(ui_index_html, "ui/index.html")
ASSET(ui_app_css, "ui/app.css")
ASSET(ui_api_js, "ui/api.js")
ASSET(ui_charts_js, "ui/charts.js")
ASSET(ui_pages_js, "ui/pages.js")
ASSET(ui_app_js, "ui/app.js")
ASSET(ui_icon_svg, "ui/icon.svg")
	.section .note.GNU-stack,"",@progbits
