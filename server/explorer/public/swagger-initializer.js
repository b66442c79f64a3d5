// Replaces swagger-ui-dist's own initializer (which loads the petstore example): the
// description is the server's GET /openapi.json, generated from the routes it serves.
window.onload = () => {
  window.ui = SwaggerUIBundle({
    url: new URL('/openapi.json', window.location.href).href,
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
    // Tokens typed into "Authorize" survive a reload of the page.
    persistAuthorization: true,
    // No "validator.swagger.io" badge: nothing leaves the machine.
    validatorUrl: null,
  });
};
