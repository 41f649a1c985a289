/* The ingest API description, served at /openapi.json. */
	.section .rodata
	.global api_openapi_json
	.type api_openapi_json, @object
api_openapi_json:
	.incbin "docs/openapi.json"
	.byte 0
	.section .note.GNU-stack,"",@progbits
